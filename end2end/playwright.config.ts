import { defineConfig } from "@playwright/test";

// `cargo leptos end-to-end` starts the app on site-addr (Cargo.toml) while Playwright starts; scripts/test runs
// it against the dev auth proxy with a 5-second access token. Playwright itself starts the dev auth proxy and a
// second instance of the app in dev mode (no proxy), from the binaries cargo built.
export const APP_URL = "http://127.0.0.1:3000";
export const DEV_APP_URL = "http://127.0.0.1:3002";
export const PROXY_URL = "http://127.0.0.1:3900";

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
