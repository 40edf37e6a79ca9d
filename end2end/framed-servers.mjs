// The sites of the framed end-to-end test (tests/framed.spec.ts), over HTTPS on loopback with a self-signed
// certificate made here (the test's browser context ignores certificate errors):
// - https://127.0.0.1:4444 is the app: a TLS front for the framed instance on http://127.0.0.1:3004;
// - https://127.0.0.2:4443 is another site that shows it in an iframe (`/?path=/notes` frames /notes).
// Two addresses are two sites, so the frame is third-party and its cookies are partitioned.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";

const APP_PORT = 4444;
const UPSTREAM_PORT = 3004;
const HOST_PORT = 4443;

const dir = mkdtempSync(join(tmpdir(), "framed-tls-"));
execFileSync(
  "openssl",
  ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1,IP:127.0.0.2",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
  { stdio: "ignore" },
);
const tls = { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
rmSync(dir, { recursive: true, force: true });

https
  .createServer(tls, (request, response) => {
    const upstream = http.request(
      { host: "127.0.0.1", port: UPSTREAM_PORT, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on("error", () => {
      response.writeHead(502, { "content-type": "text/plain" });
      response.end("the framed app instance is not answering");
    });
    request.pipe(upstream);
  })
  .listen(APP_PORT, "127.0.0.1");

https
  .createServer(tls, (request, response) => {
    const url = new URL(request.url ?? "/", `https://127.0.0.2:${HOST_PORT}`);
    const path = (url.searchParams.get("path") ?? "/").replace(/[^\w\-/]/g, "");
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Host site</title></head>
<body><h1>Another site</h1>
<iframe id="app" title="The app" src="https://127.0.0.1:${APP_PORT}${path}" width="960" height="720"></iframe>
</body></html>`);
  })
  .listen(HOST_PORT, "127.0.0.2");
