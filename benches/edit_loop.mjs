// The edit loop of development, as an author meets it: with `cargo leptos watch` serving the app (scripts/bench
// edit-loop starts it over a throwaway Postgres), a one-word change to a page and a change to a server function,
// each timed from the saved file to the served answer showing it, three runs each. The files are put back after.
//
// The page: the home page's heading (src/pages/home.rs), read back from GET /. The server function: the label of
// the notes' check (src/pages/notes.rs), read back from the 400 that create_note answers for an empty note (the
// dev user signs in by itself in dev mode).
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";

const ORIGIN = "http://127.0.0.1:3000";
const RUNS = Number(process.env.BENCH_EDIT_RUNS ?? 3);
const HOME = "src/pages/home.rs";
const NOTES = "src/pages/notes.rs";
const HEADING = "Welcome to your Vector app";
const LABEL = '"A note"';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const originals = new Map([HOME, NOTES].map((file) => [file, readFileSync(file, "utf8")]));
const restore = () => originals.forEach((text, file) => writeFileSync(file, text));
for (const [file, marker] of [[HOME, HEADING], [NOTES, LABEL]]) {
  if (!originals.get(file).includes(marker)) throw new Error(`${file} does not hold ${marker}: nothing to edit`);
}

const watch = spawn("cargo", ["leptos", "watch"], { stdio: ["ignore", "pipe", "pipe"], detached: true });
let lastOutput = Date.now();
const log = [];
for (const stream of [watch.stdout, watch.stderr]) {
  stream.on("data", (chunk) => {
    lastOutput = Date.now();
    log.push(chunk.toString());
    if (log.length > 200) log.shift();
  });
}
const stop = () => {
  try {
    process.kill(-watch.pid, "SIGTERM");
  } catch {}
  restore();
};
process.on("SIGINT", () => (stop(), process.exit(130)));
watch.on("exit", (code) => {
  if (!stopping) {
    restore();
    console.error(log.join("").slice(-4000));
    console.error(`cargo leptos watch exited (${code}) before the benchmark ended`);
    process.exit(1);
  }
});
let stopping = false;

async function fetchText(path, init) {
  try {
    const response = await fetch(ORIGIN + path, init);
    return await response.text();
  } catch {
    return null;
  }
}

// Waits until `cargo leptos watch` has printed nothing for `quietMs`: its builds (server and browser) are done.
async function settle(quietMs = 4000) {
  while (Date.now() - lastOutput < quietMs) await sleep(200);
}

async function timeEdit(file, from, to, check) {
  const text = readFileSync(file, "utf8");
  writeFileSync(file, text.replace(from, to));
  const started = performance.now();
  for (;;) {
    if (await check()) return (performance.now() - started) / 1000;
    if (performance.now() - started > 300_000) throw new Error(`${file}: the change was not served within 300 s`);
    await sleep(25);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  console.log("waiting for cargo leptos watch's first build…");
  const started = Date.now();
  while ((await fetchText("/api/health/live")) === null) {
    if (Date.now() - started > 1_800_000) throw new Error("the app did not answer within 30 minutes");
    await sleep(500);
  }
  await settle();
  // The server function's URL, from the browser bundle (it carries each server function's path).
  // Named vector_app.wasm, or vector_app.<hash>.wasm with hash-files.
  const wasmName = readdirSync("target/site/pkg").find((name) => /^vector_app(\.[\w-]+)?\.wasm$/.test(name));
  if (!wasmName) throw new Error("no vector_app wasm in target/site/pkg");
  const wasm = readFileSync(`target/site/pkg/${wasmName}`).toString("latin1");
  const createNote = /\/api\/create_note\d*/.exec(wasm)?.[0];
  if (!createNote) throw new Error(`no create_note path in target/site/pkg/${wasmName}`);
  const sameOrigin = { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" };

  const page = [];
  let heading = HEADING;
  for (let run = 1; run <= RUNS; run++) {
    const next = `Welcome to your Vector app, edit ${run}`;
    const seconds = await timeEdit(HOME, heading, next, async () => (await fetchText("/"))?.includes(next));
    heading = next;
    page.push(seconds);
    console.log(`page edit ${run}: ${seconds.toFixed(2)} s from save to served`);
    await settle();
  }
  const serverFn = [];
  let label = LABEL;
  for (let run = 1; run <= RUNS; run++) {
    const next = `"A note (edit ${run})"`;
    const expected = `A note (edit ${run}) cannot be empty.`;
    const check = async () =>
      (await fetchText(createNote, { method: "POST", headers: sameOrigin, body: "body=" }))?.includes(expected);
    const seconds = await timeEdit(NOTES, label, next, check);
    label = next;
    serverFn.push(seconds);
    console.log(`server function edit ${run}: ${seconds.toFixed(2)} s from save to served`);
    await settle();
  }
  console.log(
    `\nedit loop (${RUNS} runs each): page ${median(page).toFixed(2)} s median ` +
      `(${page.map((s) => s.toFixed(2)).join(", ")}), server function ${median(serverFn).toFixed(2)} s median ` +
      `(${serverFn.map((s) => s.toFixed(2)).join(", ")})`,
  );
} catch (e) {
  console.error(`error: ${e.message}`);
  process.exitCode = 1;
} finally {
  stopping = true;
  stop();
}
