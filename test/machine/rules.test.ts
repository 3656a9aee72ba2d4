/** Config rules of machine groups: path-located messages, never a stack trace. */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import { validateConfig } from "../../src/config/load.js";
import { machinesExample as example } from "./fixtures.js";
function issues(doc: any): string[] {
  try {
    validateConfig(doc);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}
function issuesWithValues(doc: any): { path: string; message: string; value?: unknown }[] {
  try {
    validateConfig(doc);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => ({ path: i.path, message: i.message, ...(i.value !== undefined ? { value: i.value } : {}) }));
    throw err;
  }
  return [];
}

describe("machine rules", () => {
  it("accepts the example", () => expect(issues(example())).toEqual([]));
  it("needs vfox for process services", () => {
    const doc = example();
    delete doc.machines.edge.vfox;
    expect(issues(doc)).toEqual(["machines.edge.vfox: process services (renderer) need vfox: set version, url and sha256 of the vfox binary"]);
  });
  it("lets a release move a process service's source only as that source is: ref for git, artifact for an archive", () => {
    const doc = example();
    const artifact = { url: "https://releases.example.com/renderer-2.0.0.tar.gz", sha256: "c".repeat(64) };
    doc.machines.edge.strategy = { type: "canary", stable: { version: "v1" }, canary: { version: "v2", services: { renderer: { artifact }, api: { ref: "v2" } } }, percent: 10 };
    expect(issues(doc)).toEqual([
      "machines.edge.strategy.canary.services.renderer.artifact: service renderer has no archive source; a release sets ref for it",
      "machines.edge.strategy.canary.services.api.ref: service api has no git source; a release sets image for it",
    ]);
    doc.services.renderer.source = { artifact: { url: "https://releases.example.com/renderer-1.0.0.tar.gz", sha256: "d".repeat(64) }, runtime: "nodejs@20.11.1", build: "npm ci" };
    doc.machines.edge.strategy.canary.services = { renderer: { artifact } };
    expect(issues(doc)).toEqual([]);
  });
  it("needs a run command for process services", () => {
    const doc = example();
    delete doc.services.renderer.command;
    expect(issues(doc)).toEqual(['services.renderer.command: runner "process" needs the command that starts the service']);
  });
  it("checks strategy releases", () => {
    const doc = example();
    doc.machines.edge.strategy = { type: "canary", stable: { version: "v1" }, canary: { version: "v1", services: { apx: { image: "x" } } } };
    expect(issues(doc)).toEqual([
      "machines.edge.strategy.canary.version: the canary must differ from the stable release (v1)",
      'machines.edge.strategy.canary.services.apx: unknown service on this group "apx" (did you mean "api"?); declared services on this group: api, renderer',
    ]);
    doc.machines.edge.strategy = { type: "blueGreen", active: "green", blue: { version: "v1" } };
    expect(issues(doc)).toEqual(['machines.edge.strategy.green: the active slot "green" needs a release ({ version: … })']);
  });
  it("accepts cos-stable for container services; refuses the process runner there, with path, value and fix", () => {
    const doc = example();
    doc.machines.edge.image = "cos-stable";
    expect(issuesWithValues(doc)).toEqual([
      {
        path: "machines.edge.runners",
        message: 'image cos-stable runs container services only (no vfox toolchains on Container-Optimized OS); remove "process" from runners, or set machines.edge.image: debian-12',
        value: ["container", "process"],
      },
      {
        path: "services.renderer.runner",
        message:
          'machine group "edge" runs cos-stable, which has no process runner (no vfox toolchains, /var is noexec); run the service as a container (runner: container, image), or set machines.edge.image: debian-12',
        value: "process",
      },
    ]);
    // Only container services on the group: valid.
    delete doc.services.renderer;
    doc.machines.edge.runners = ["container"];
    delete doc.machines.edge.vfox;
    expect(issues(doc)).toEqual([]);
    doc.machines.edge.engine = "podman";
    expect(issues(doc)).toEqual(["machines.edge.engine: Container-Optimized OS ships docker only; set engine: docker or image: debian-12"]);
  });
  it("serves 443 only (the Application Load Balancer reaches Caddy there), with path, value and fix", () => {
    const doc = example();
    doc.machines.edge.serves = [443, 8443];
    expect(issuesWithValues(doc)).toEqual([
      {
        path: "machines.edge.serves",
        message:
          "the machines are served through the environment's Application Load Balancer, which reaches Caddy on 443 only (HTTPS; Caddy routes by host and path to the services' ports); 8443 cannot be served: set serves: [443], or [] for no load balancer",
        value: [443, 8443],
      },
    ]);
    doc.machines.edge.serves = [80];
    expect(issues(doc)).toEqual([expect.stringMatching(/^machines\.edge\.serves: .*; 80 cannot be served: set serves: \[443\]/)]);
    doc.machines.edge.serves = [];
    expect(issues(doc)).toEqual([]);
  });
  it("sends a domain to one serving group", () => {
    const doc = example();
    doc.services.site.expose.domains.push("api.tiles.example.com");
    expect(issuesWithValues(doc)).toEqual([
      {
        path: "services.site.expose.domains[1]",
        message: 'domain "api.tiles.example.com" is already served by machine group "edge"; the load balancer sends a host to one group: move the service to machines: edge, or use another domain',
        value: "api.tiles.example.com",
      },
    ]);
    // A group that serves nothing has no host rule: no conflict.
    doc.machines.web.serves = [];
    expect(issues(doc)).toEqual([]);
  });
  it("needs a domain on a serving group (the load balancer routes by host)", () => {
    const doc = example();
    delete doc.services.site.expose;
    expect(issuesWithValues(doc)).toEqual([
      {
        path: "machines.web.serves",
        message: 'the load balancer routes by host, and no service on machine group "web" exposes a domain; add expose.domains to a service on it, or set serves: []',
        value: [443],
      },
    ]);
    doc.machines.web.serves = [];
    expect(issues(doc)).toEqual([]);
  });
  it("certifies at most 100 domains on the load balancer", () => {
    const doc = example();
    doc.services.site.expose.domains = Array.from({ length: 98 }, (_, i) => `s${i}.tiles.example.com`);
    expect(issues(doc)).toEqual([]);
    doc.services.site.expose.domains.push("s98.tiles.example.com");
    expect(issuesWithValues(doc)).toEqual([
      {
        path: "machines",
        message:
          "the serving machine groups expose 101 domains, and their load balancer's Google-managed certificate covers at most 100; serve fewer domains from machines (or move services to the cluster)",
        value: 101,
      },
    ]);
  });
  it("no longer takes acmeEmail: certificates are Google-managed on the load balancer", () => {
    const doc = example();
    doc.machines.edge.acmeEmail = "ops@tiles.example.com";
    expect(issues(doc)).toEqual([expect.stringMatching(/^machines\.edge\.acmeEmail: "acmeEmail" is no longer a brume key: TLS ends at the Google load balancer/)]);
  });
});
