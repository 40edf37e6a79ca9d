import { defineConfig } from "@playwright/test";

// `cargo leptos end-to-end` starts the app on site-addr (Cargo.toml) while Playwright starts; scripts/test runs
// it against the dev auth proxy with a 5-second access token. Playwright itself starts the dev auth proxy, a
// second instance of the app in dev mode (no proxy), and a third one set up to be framed by another site, with
// the HTTPS sites of that test (framed-servers.mjs), from the binaries cargo built.
export const APP_URL = "http://127.0.0.1:3000";
export const DEV_APP_URL = "http://127.0.0.1:3002";
export const PROXY_URL = "http://127.0.0.1:3900";
/** The framed instance, behind HTTPS, and the other site that frames it. */
export const FRAMED_APP_URL = "https://127.0.0.1:4444";
export const HOST_SITE_URL = "https://127.0.0.2:4443";

const binDir = process.env.E2E_BIN_DIR ?? "../target/debug";

export default defineConfig({
  testDir: "./tests",
  globalSetup: "./global-setup.ts",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  webServer: [
    {
      command: `${binDir}/dev-auth-proxy`,
      url: `${PROXY_URL}/.well-known/jwks.json`,
      env: { DEV_AUTH_PROXY_ADDR: "127.0.0.1:3900" },
      reuseExistingServer: false,
      timeout: 60_000,
    },
    {
      command: `${binDir}/server`,
      cwd: "..",
      url: `${DEV_APP_URL}/api/health`,
      env: {
        LEPTOS_SITE_ROOT: "target/site",
        LEPTOS_SITE_ADDR: "127.0.0.1:3002",
        LEPTOS_ENV: "DEV",
        VECTOR_AUTH_PROXY_URL: "",
        ACCESS_TOKEN_COOKIE_MAX_AGE: "300",
        DATABASE_URL: process.env.E2E_DEV_DATABASE_URL ?? process.env.DATABASE_URL ?? "",
      },
      reuseExistingServer: false,
      timeout: 60_000,
    },
    {
      command: `${binDir}/server`,
      cwd: "..",
      url: "http://127.0.0.1:3004/api/health",
      env: {
        LEPTOS_SITE_ROOT: "target/site",
        LEPTOS_SITE_ADDR: "127.0.0.1:3004",
        LEPTOS_ENV: "DEV",
        VECTOR_AUTH_PROXY_URL: PROXY_URL,
        ACCESS_TOKEN_COOKIE_MAX_AGE: "5",
        // What a third-party iframe needs: Secure, SameSite=None and Partitioned (CHIPS) cookies.
        ACCESS_TOKEN_COOKIE_SECURE: "true",
        ACCESS_TOKEN_COOKIE_SAMESITE: "None",
        REFRESH_TOKEN_COOKIE_SECURE: "true",
        REFRESH_TOKEN_COOKIE_SAMESITE: "None",
        AUTH_COOKIE_PARTITIONED: "true",
        FRAME_ANCESTORS: `'self' ${HOST_SITE_URL}`,
        DATABASE_URL: process.env.DATABASE_URL ?? "",
      },
      reuseExistingServer: false,
      timeout: 60_000,
    },
    {
      command: "node framed-servers.mjs",
      url: `${HOST_SITE_URL}/`,
      ignoreHTTPSErrors: true,
      reuseExistingServer: false,
      timeout: 30_000,
    },
  ],
  use: {
    baseURL: APP_URL,
    trace: "retain-on-failure",
    launchOptions: {
      // Debian's Chromium; Playwright never downloads a browser here.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
