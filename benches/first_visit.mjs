// First visit in a real browser: Chromium (through Playwright) loads the home page of a running release server
// under Lighthouse's mobile profile, and this prints the time until the page is hydrated and the bytes on the
// wire, for a cold visit (empty cache) and a repeat visit (same browser, cache kept). Run by
// `scripts/bench browser`, which builds the release site and starts the server; see BENCHMARKS.md.
//
// Settings (environment): BENCH_ORIGIN (the server, required), BENCH_RUNS (cold + repeat pairs, 3),
// CHROMIUM_PATH (/usr/bin/chromium).

import { createRequire } from "node:module";

// Playwright is the end-to-end suite's (end2end/node_modules); it never downloads a browser here.
const require = createRequire(new URL("../end2end/package.json", import.meta.url));
const { chromium } = require("@playwright/test");

const origin = process.env.BENCH_ORIGIN;
if (!origin) {
  console.error("BENCH_ORIGIN is not set: run this through scripts/bench browser");
  process.exit(2);
}
const runs = Number(process.env.BENCH_RUNS ?? 3);

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
// Targets from issue 11, in milliseconds.
const TARGETS = { cold: 2000, repeat: 800 };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"],
});

/** A tab throttled to the profile, counting what its visits download. */
async function throttledTab(context) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", PROFILE.network);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: PROFILE.cpuSlowdown });
  const counts = { bytes: 0, requests: 0, fromCache: 0 };
  cdp.on("Network.requestWillBeSent", () => (counts.requests += 1));
  cdp.on("Network.responseReceived", ({ response }) => {
    if (response.fromDiskCache || response.fromPrefetchCache) counts.fromCache += 1;
  });
  cdp.on("Network.requestServedFromCache", () => (counts.fromCache += 1));
  // Headers and body as they came over the connection (compressed); 0 for a file from the cache.
  cdp.on("Network.loadingFinished", (event) => (counts.bytes += event.encodedDataLength));
  return { page, counts };
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

const results = { cold: [], repeat: [] };
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
await browser.close();

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
console.log();
console.log(`## First visit to ${origin}/ in Chromium, mobile profile (CPU 4×, 150 ms, 1.6 Mbit/s down, 750 kbit/s up)`);
console.log("| visit | hydrated after (median) | each run | bytes on the wire (median) | target |");
console.log("|---|---:|---|---:|---:|");
for (const kind of ["cold", "repeat"]) {
  const times = results[kind].map((r) => r.hydratedMs);
  const bytes = results[kind].map((r) => r.bytes);
  const met = median(times) <= TARGETS[kind] ? "met" : "missed";
  console.log(
    `| ${kind} | ${median(times).toFixed(0)} ms | ${times.map((t) => t.toFixed(0)).join(" / ")} ms | ` +
      `${median(bytes).toFixed(0)} B | ${TARGETS[kind]} ms (${met}) |`,
  );
}
