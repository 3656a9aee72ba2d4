#!/usr/bin/env python3
"""Stand-ins for what a GCE VM reaches, run INSIDE the booted root (its own loopback only).

- 169.254.169.254:80  the metadata server: Metadata-Flavor: Google required; the startup-script
  attribute (read from /standin/startup-script), project/instance facts, an access token.
- 127.0.0.2:8443 (the VM's iptables sends 127.0.0.2:443 here; /etc/hosts maps github.com,
  objects.githubusercontent.com and secretmanager.googleapis.com to 127.0.0.2), HTTPS with a test CA:
  GitHub release downloads (302 to objects.githubusercontent.com, as GitHub answers), git smart HTTP
  (git http-backend), Secret Manager's versions/latest:access (Bearer token from the metadata stand-in),
  Google's apt repository on packages.cloud.google.com (/apt/..., the files boot-test.sh built in /standin/apt).
An outage is a file: /standin/down-<metadata|releases|git|secrets|packages> makes that part answer 503.
"""
import base64, http.server, json, os, socketserver, ssl, subprocess, sys, threading, urllib.parse

ROOT = "/standin"
TOKEN = "standin-access-token"

def down(part):
    return os.path.exists(f"{ROOT}/down-{part}")

class Threaded(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

class Metadata(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("metadata: " + fmt % args + "\n")
    def reply(self, code, body, ctype="application/text"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Metadata-Flavor", "Google")
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        if down("metadata"):
            return self.reply(503, "down")
        if self.headers.get("Metadata-Flavor") != "Google":
            return self.reply(403, "Missing Metadata-Flavor:Google header.")
        path = self.path.split("?")[0]
        facts = {
            "/computeMetadata/v1/project/project-id": "tiles-prod-7310",
            "/computeMetadata/v1/instance/name": "tiles-prod-edge-0001",
            "/computeMetadata/v1/instance/id": "1234567890",
            "/computeMetadata/v1/instance/zone": "projects/123/zones/europe-west1-b",
            "/computeMetadata/v1/instance/hostname": "tiles-prod-edge-0001.c.tiles-prod-7310.internal",
        }
        if path in facts:
            return self.reply(200, facts[path])
        if path == "/computeMetadata/v1/instance/attributes/":
            with open(f"{ROOT}/startup-script") as f:
                return self.reply(200, json.dumps({"startup-script": f.read()}), "application/json")
        if path == "/computeMetadata/v1/instance/attributes/startup-script":
            with open(f"{ROOT}/startup-script") as f:
                return self.reply(200, f.read())
        if path == "/computeMetadata/v1/instance/service-accounts/default/token":
            return self.reply(200, json.dumps({"access_token": TOKEN, "expires_in": 3599, "token_type": "Bearer"}), "application/json")
        return self.reply(404, "not found")

class Https(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, fmt, *args):
        sys.stderr.write("https: " + self.headers.get("Host", "?") + " " + fmt % args + "\n")
    def reply(self, code, body, ctype="text/plain", headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def git(self):
        if down("git"):
            return self.reply(503, "git host down")
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        env = dict(os.environ, GIT_PROJECT_ROOT=f"{ROOT}/git", GIT_HTTP_EXPORT_ALL="1", PATH_INFO=path[len("/example"):],
                   QUERY_STRING=query, REQUEST_METHOD=self.command, CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   GIT_PROTOCOL=self.headers.get("Git-Protocol", ""), CONTENT_LENGTH=str(len(body)))
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode().split("\r\n"):
            k, _, v = line.partition(": ")
            if k.lower() == "status":
                status = int(v.split()[0])
            elif k:
                headers.append((k, v))
        ctype = dict((k.lower(), v) for k, v in headers).get("content-type", "application/octet-stream")
        self.reply(status, payload, ctype, [h for h in headers if h[0].lower() != "content-type"])
    def do_POST(self):
        if self.path.startswith("/example/"):
            return self.git()
        self.reply(404, "not found")
    def do_GET(self):
        host = self.headers.get("Host", "").split(":")[0]
        if self.path.startswith("/example/"):
            return self.git()
        if host == "github.com" and "/releases/download/" in self.path:
            if down("releases"):
                return self.reply(503, "release server down")
            return self.reply(302, "", headers=[("Location", f"https://objects.githubusercontent.com{self.path}")])
        if host == "objects.githubusercontent.com":
            if down("releases"):
                return self.reply(503, "release server down")
            name = os.path.basename(self.path)
            path = f"{ROOT}/files/{name}"
            if os.path.exists(path):
                with open(path, "rb") as f:
                    return self.reply(200, f.read(), "application/octet-stream")
            return self.reply(404, "no such release file")
        if host == "packages.cloud.google.com":
            if down("packages"):
                return self.reply(503, "apt repository down")
            # apt quotes "~" of the version in the pool path (%7e).
            rel = os.path.normpath(urllib.parse.unquote(self.path.split("?")[0])).lstrip("/")
            path = os.path.join(ROOT, rel)
            if rel.startswith("apt/") and os.path.isfile(path):
                with open(path, "rb") as f:
                    return self.reply(200, f.read(), "application/octet-stream")
            return self.reply(404, "not found")
        if host == "secretmanager.googleapis.com":
            if down("secrets"):
                return self.reply(503, "secret manager down")
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self.reply(401, json.dumps({"error": {"code": 401}}), "application/json")
            name = self.path[len("/v1/"):].removesuffix(":access")
            secret = name.split("/")[3]
            data = base64.b64encode(f"standin-{secret}-value".encode()).decode()
            # Pretty-printed, as the REST API answers.
            return self.reply(200, json.dumps({"name": name, "payload": {"data": data}}, indent=2), "application/json")
        self.reply(404, "not found")

def main():
    metadata = Threaded(("169.254.169.254", 80), Metadata)
    https = Threaded(("127.0.0.2", 8443), Https)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(f"{ROOT}/tls/server.pem", f"{ROOT}/tls/server.key")
    https.socket = ctx.wrap_socket(https.socket, server_side=True)
    threading.Thread(target=metadata.serve_forever, daemon=True).start()
    print("standins: ready", flush=True)
    https.serve_forever()

main()
