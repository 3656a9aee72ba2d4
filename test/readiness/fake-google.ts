/**
 * A fake of the Google endpoints the readiness waits poll, served by node:http on 127.0.0.1 (an
 * ephemeral port). Each test scripts the answers per route; the fake records every request.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface Answer {
  status: number;
  body: unknown;
}

/** Scripted answers: a route `METHOD /path` (query excluded) → the answers in order (the last repeats). */
export type Script = Record<string, Answer[] | ((req: Recorded, n: number) => Answer)>;

export interface FakeGoogle {
  url: string;
  host: string;
  requests: Recorded[];
  close(): Promise<void>;
}

/** `tls`: serve HTTPS with this key and certificate (a cluster API server's own CA). */
export async function fakeGoogle(script: Script, tls?: { key: string; cert: string }): Promise<FakeGoogle> {
  const requests: Recorded[] = [];
  const counts = new Map<string, number>();
  const handler = (req: IncomingMessage, res: import("node:http").ServerResponse) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      const path = (req.url ?? "").split("?")[0]!;
      const recorded = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body };
      requests.push(recorded);
      const route = `${req.method} ${path}`;
      const n = counts.get(route) ?? 0;
      counts.set(route, n + 1);
      const scripted = script[route];
      const answer: Answer =
        scripted === undefined
          ? { status: 404, body: { error: { code: 404, message: `fake: no route ${route}`, status: "NOT_FOUND" } } }
          : typeof scripted === "function"
            ? scripted(recorded, n)
            : scripted[Math.min(n, scripted.length - 1)]!;
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body));
    });
  };
  const server: Server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The body Google APIs answer while an API's enablement has not propagated. */
export function serviceDisabled(service: string, projectNumber = "123456789012"): Answer {
  return {
    status: 403,
    body: {
      error: {
        code: 403,
        message: `${service} has not been used in project ${projectNumber} before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/${service}/overview?project=${projectNumber} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`,
        status: "PERMISSION_DENIED",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "SERVICE_DISABLED",
            domain: "googleapis.com",
            metadata: { consumer: `projects/${projectNumber}`, service },
          },
        ],
      },
    },
  };
}

export function googleErrorAnswer(status: number, statusName: string, message: string, reason?: string): Answer {
  return {
    status,
    body: {
      error: {
        code: status,
        message,
        status: statusName,
        ...(reason ? { details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason, domain: "googleapis.com" }] } : {}),
      },
    },
  };
}

/** A clock that never sleeps: it advances by the requested delay and records it. */
export function fakeClock(): { now(): number; sleep(ms: number): Promise<void>; sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

/** A self-signed certificate for 127.0.0.1 (it is its own CA), base64 as GKE returns `clusterCaCertificate`. */
export function selfSigned(cn: string): { key: string; cert: string; caBase64: string } {
  const dir = mkdtempSync(join(tmpdir(), "crd-ca-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1",
    "-subj", `/CN=${cn}`, "-addext", "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:TRUE",
  ], { stdio: "ignore" });
  const cert = readFileSync(join(dir, "cert.pem"), "utf8");
  return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert, caBase64: Buffer.from(cert).toString("base64") };
}
