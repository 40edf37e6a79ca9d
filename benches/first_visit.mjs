// First visit in a real browser: Chromium (through Playwright) loads the home page of a running release server
// under Lighthouse's mobile profile, and this prints the time until the page is hydrated and the bytes on the
// wire, for a cold visit (empty cache) and a repeat visit (same browser, cache kept); then, signed in, the time
// from a click on the header's "Notes" link on the home page to the notes page shown, its chunk not yet cached.
// Run by `scripts/bench browser`, which builds the release site and starts the server; see BENCHMARKS.md.
//
// Settings (environment): BENCH_ORIGIN (the server, required), BENCH_PROXY (its dev auth proxy, required),
// BENCH_RUNS (runs of each, 5), CHROMIUM_PATH (/usr/bin/chromium).

import { createRequire } from "node:module";

// Playwright is the end-to-end suite's (end2end/node_modules); it never downloads a browser here.
const require = createRequire(new URL("../end2end/package.json", import.meta.url));
const { chromium } = require("@playwright/test");

const origin = process.env.BENCH_ORIGIN;
if (!origin) {
  console.error("BENCH_ORIGIN is not set: run this through scripts/bench browser");
  process.exit(2);
}
const proxy = process.env.BENCH_PROXY;
if (!proxy) {
  console.error("BENCH_PROXY is not set: run this through scripts/bench browser");
  process.exit(2);
}
const runs = Number(process.env.BENCH_RUNS ?? 5);

// Lighthouse's mobile profile, as issue 11 states it: CPU 4× slower, 150 ms round trip, 1.6 Mbit/s down,
// 750 kbit/s up. DevTools applies the latency per request and the throughput per connection.
const PROFILE = {
  cpuSlowdown: 4,
  network: {
    offline: false,
    latency: 150,
    downloadThroughput: (1.6 * 1000 * 1000) / 8,
    uploadThroughput: (750 * 1000) / 8,
  },
  viewport: { width: 412, height: 823 },
};
// The app sets this once hydration has run (src/app.rs).
const HYDRATED = "main[data-hydrated=true]";
// Targets from issue 25, in milliseconds (and bytes for the cold visit).
const TARGETS = { cold: 1500, repeat: 500, navigation: 1000 };
const COLD_BYTES_TARGET = 150_000;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"],
});

/** A tab throttled to the profile (now, or when `throttle()` is called), counting what its visits download. */
async function throttledTab(context, { later = false } = {}) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  const throttle = async () => {
    await cdp.send("Network.emulateNetworkConditions", PROFILE.network);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: PROFILE.cpuSlowdown });
  };
  if (!later) await throttle();
  const counts = { bytes: 0, requests: 0, fromCache: 0 };
  cdp.on("Network.requestWillBeSent", () => (counts.requests += 1));
  cdp.on("Network.responseReceived", ({ response }) => {
    if (response.fromDiskCache || response.fromPrefetchCache) counts.fromCache += 1;
  });
  cdp.on("Network.requestServedFromCache", () => (counts.fromCache += 1));
  // Headers and body as they came over the connection (compressed); 0 for a file from the cache.
  cdp.on("Network.loadingFinished", (event) => (counts.bytes += event.encodedDataLength));
  return { page, counts, throttle };
}

/** One visit to `/` in the tab: milliseconds until hydrated, bytes received, requests made. */
async function visit({ page, counts }) {
  await page.goto("about:blank");
  Object.assign(counts, { bytes: 0, requests: 0, fromCache: 0 });
  const started = performance.now();
  const response = await page.goto(`${origin}/`, { waitUntil: "commit" });
  if (!response || response.status() !== 200) {
    throw new Error(`GET / answered ${response?.status()}`);
  }
  await page.waitForSelector(HYDRATED, { timeout: 30_000 });
  const hydratedMs = performance.now() - started;
  // Let late responses finish so that their bytes are counted.
  await page.waitForLoadState("networkidle");
  return { hydratedMs, ...counts };
}

/**
 * Signed in from the home page (through the dev auth proxy's form, unthrottled), then throttled: on the home page,
 * a click on "Notes" until the notes page shows the user's (empty) list, drawn by the browser once the page's
 * chunk has arrived (the sign-in never went to the notes page, so the chunk is not in the cache).
 */
async function navigation(context) {
  const tab = await throttledTab(context, { later: true });
  const { page, counts } = tab;
  await page.goto(`${origin}/`);
  await page.waitForSelector(HYDRATED, { timeout: 30_000 });
  await page.locator("header").getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${proxy}/login?**`);
  await page.fill("input[name=email]", `bench-${Date.now()}-${Math.random().toString(16).slice(2)}@example.com`);
  await page.click("button[type=submit]");
  await page.waitForURL(`${origin}/`);
  await page.waitForSelector(".user-menu", { timeout: 30_000 });
  await tab.throttle();
  await page.goto(`${origin}/`);
  await page.waitForSelector(HYDRATED, { timeout: 30_000 });
  await page.waitForLoadState("networkidle");
  // On a phone the header's links are behind "Menu".
  await page.getByRole("button", { name: "Menu" }).click();
  Object.assign(counts, { bytes: 0, requests: 0, fromCache: 0 });
  const started = performance.now();
  await page.click("#site-nav-links a[href='/notes']");
  await page.waitForSelector("[data-testid=no-notes], [data-testid=notes]", { timeout: 30_000 });
  const shownMs = performance.now() - started;
  await page.waitForLoadState("networkidle");
  return { shownMs, ...counts };
}

const results = { cold: [], repeat: [], navigation: [] };
for (let run = 1; run <= runs; run += 1) {
  // A new context has an empty cache: the cold visit. The visitor then comes back to the page in the same tab
  // (through a blank page), and the browser finds what the first visit stored.
  const context = await browser.newContext({ viewport: PROFILE.viewport, isMobile: true, hasTouch: true });
  const tab = await throttledTab(context);
  for (const kind of ["cold", "repeat"]) {
    const result = await visit(tab);
    results[kind].push(result);
    console.log(
      `run ${run} ${kind.padEnd(6)} hydrated after ${result.hydratedMs.toFixed(0).padStart(5)} ms, ` +
        `${String(result.bytes).padStart(7)} bytes on the wire, ${result.requests} requests ` +
        `(${result.fromCache} from the cache)`,
    );
  }
  await context.close();
}
for (let run = 1; run <= runs; run += 1) {
  const context = await browser.newContext({ viewport: PROFILE.viewport, isMobile: true, hasTouch: true });
  const result = await navigation(context);
  results.navigation.push(result);
  console.log(
    `run ${run} home → notes shown after ${result.shownMs.toFixed(0).padStart(5)} ms, ` +
      `${String(result.bytes).padStart(7)} bytes on the wire, ${result.requests} requests`,
  );
  await context.close();
}
await browser.close();

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
console.log();
console.log(`## First visit to ${origin}/ in Chromium, mobile profile (CPU 4×, 150 ms, 1.6 Mbit/s down, 750 kbit/s up)`);
console.log("| visit | shown or hydrated after (median) | each run | bytes on the wire (median) | target |");
console.log("|---|---:|---|---:|---|");
const summary = {};
for (const kind of ["cold", "repeat", "navigation"]) {
  const times = results[kind].map((r) => r.hydratedMs ?? r.shownMs);
  const bytes = median(results[kind].map((r) => r.bytes));
  let target = `${TARGETS[kind]} ms (${median(times) <= TARGETS[kind] ? "met" : "missed"})`;
  if (kind === "cold") target += `, ${COLD_BYTES_TARGET} B (${bytes <= COLD_BYTES_TARGET ? "met" : "missed"})`;
  const label = { cold: "cold", repeat: "repeat", navigation: "home → notes, its chunk not cached" }[kind];
  console.log(
    `| ${label} | ${median(times).toFixed(0)} ms | ${times.map((t) => t.toFixed(0)).join(" / ")} ms | ` +
      `${bytes.toFixed(0)} B | ${target} |`,
  );
  summary[kind] = { ms: Math.round(median(times)), bytes: Math.round(bytes) };
}
// One line for scripts/bench's table of feature counts.
console.log(`SUMMARY ${JSON.stringify(summary)}`);
