// The scale-out test's parts (tests/scale-out.spec.ts): two instances of the app on the end-to-end database
// (ports 3010 and 3011), Debian's nginx in front of them with deploy/nginx.conf (port 3020), and a slow front
// for the billing API (port 3021) that holds requests so that some are in flight when an instance stops.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { PROXY_URL } from "./playwright.config";

export const BALANCER_URL = "http://127.0.0.1:3020";
const SLOW_BILLING_PORT = 3021;
const ROOT = resolve(__dirname, "..");
const BIN_DIR = resolve(process.env.E2E_BIN_DIR ?? join(ROOT, "target/debug"));

/** One app instance: the server binary with JSON logs, which the test reads to see what it served. */
export class Instance {
  readonly url: string;
  private child: ChildProcess | null = null;
  private output = "";
  exit: Promise<number | null> = Promise.resolve(null);

  constructor(readonly port: number) {
    this.url = `http://127.0.0.1:${port}`;
  }

  async start() {
    this.output = "";
    const child = spawn(`${BIN_DIR}/server`, [], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        LEPTOS_SITE_ROOT: "target/site",
        LEPTOS_SITE_ADDR: `127.0.0.1:${this.port}`,
        LEPTOS_ENV: "DEV",
        LOG_FORMAT: "json",
        DATABASE_URL: process.env.DATABASE_URL ?? "",
        // Both instances sign with one key: a session from one is good on the other.
        SECRET_KEY: "scale-out-test-secret-key-0123456789abcdef",
        VECTOR_AUTH_PROXY_URL: PROXY_URL,
        VECTOR_API_URL: `http://127.0.0.1:${SLOW_BILLING_PORT}`,
        VITE_APP_ID: "e2e-app",
        VECTOR_API_TOKEN: "dev-api-token",
        ACCESS_TOKEN_COOKIE_MAX_AGE: "5",
        AUTH_RATE_LIMIT_PER_MINUTE: "100000",
        // nginx, which connects from 127.0.0.2 (deploy/nginx.conf): its X-Forwarded-For names the browser.
        TRUSTED_PROXIES: "127.0.0.2",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (chunk) => (this.output += chunk));
    child.stderr?.on("data", (chunk) => (this.output += chunk));
    this.exit = new Promise((done) => child.on("exit", (code) => done(code)));
    this.child = child;
    await waitFor(`${this.url}/api/health/ready`, 60_000);
  }

  /** Stops the process with `signal` and waits for its exit code. */
  async stop(signal: NodeJS.Signals) {
    this.child?.kill(signal);
    const code = await this.exit;
    this.child = null;
    return code;
  }

  /** The requests it has answered: the `served` lines of its log. */
  served(): { path: string; status: number; route: string }[] {
    return this.output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line))
      .filter((line) => line.fields?.message === "served")
      .map((line) => ({ path: line.span.path, status: line.fields.status, route: line.fields.route }));
  }
}

/** nginx with the repository's configuration, run from a folder of its own (pid file, temporary files). */
export class Balancer {
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), "nginx-"));
  private output = "";

  async start() {
    mkdirSync(join(this.dir, "tmp"));
    // nginx's workers run as an unprivileged user when started as root: they must reach the temporary files.
    chmodSync(this.dir, 0o755);
    const child = spawn(process.env.NGINX_BIN ?? "nginx", ["-p", this.dir, "-c", join(ROOT, "deploy/nginx.conf")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stderr?.on("data", (chunk) => (this.output += chunk));
    this.child = child;
    child.on("exit", (code) => {
      if (code) console.log(`nginx exited with ${code}: ${this.output}`);
    });
    await waitFor(`${BALANCER_URL}/api/health/live`, 20_000);
  }

  log() {
    return this.output;
  }

  stop() {
    this.child?.kill("SIGTERM");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Passes requests for Vector's billing API on to the dev auth proxy's stand-in, `holdMs` late; counts the
 * requests it is holding.
 */
export class SlowBilling {
  holdMs = 0;
  holding = 0;
  private readonly server = http.createServer((request, response) => {
    this.holding++;
    setTimeout(() => {
      const upstream = http.request(
        `${PROXY_URL}${request.url}`,
        { method: request.method, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
          answer.on("end", () => this.holding--);
        },
      );
      upstream.on("error", () => {
        this.holding--;
        response.writeHead(502).end();
      });
      upstream.end();
    }, this.holdMs);
  });

  start() {
    return new Promise<void>((done) => this.server.listen(SLOW_BILLING_PORT, "127.0.0.1", done));
  }

  stop() {
    this.server.close();
  }
}

async function waitFor(url: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
      last = `status ${response.status}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (last: ${last})`);
}
