import { expect, test } from "@playwright/test";

import { APP_URL, DEV_APP_URL } from "../playwright.config";

test("the home page is rendered on the server", async ({ request }) => {
  const response = await request.get("/");
  expect(response.status()).toBe(200);
  const html = await response.text();
  expect(html).toContain("Welcome to your Vector app");
});

test("the home page hydrates and asks Postgres through a server function", async ({ page }) => {
  await page.goto("/");
  // Only the WASM sets this: it proves hydration happened.
  await expect(page.locator("main[data-hydrated=true]")).toBeVisible();
  await page.getByRole("button", { name: "Check the database" }).click();
  await expect(page.getByTestId("database-status")).toHaveText("The database is answering.");
});

test("an unknown page answers 404 with a page", async ({ request }) => {
  const response = await request.get("/no-such-page");
  expect(response.status()).toBe(404);
  expect(await response.text()).toContain("Page not found");
});

test("the page hydrates under its CSP, and a script injected into its HTML does not run", async ({ page }) => {
  await page.addInitScript(() => {
    const violations: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = violations;
    document.addEventListener("securitypolicyviolation", (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const violations = () => page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
  const response = await page.goto("/");
  expect(response!.headers()["content-security-policy"]).toContain("'strict-dynamic'");
  await expect(page.locator("main[data-hydrated=true]")).toBeVisible();
  await page.getByRole("button", { name: "Check the database" }).click();
  await expect(page.getByTestId("database-status")).toHaveText("The database is answering.");
  expect(await violations()).toEqual([]);

  // As if an attacker got a script into the server's HTML: the same page, its headers, one more <script>.
  await page.route(`${APP_URL}/`, async (route) => {
    const original = await route.fetch();
    const html = (await original.text()).replace("</body>", "<script>window.injectedRan = true;</script></body>");
    await route.fulfill({ response: original, body: html });
  });
  await page.goto("/");
  await expect(page.locator("main[data-hydrated=true]")).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { injectedRan?: boolean }).injectedRan)).toBeUndefined();
  await expect.poll(async () => (await violations()).some((v) => v.startsWith("script-src"))).toBe(true);
});

test("the bundle has hashed names, arrives compressed, and a repeat visit downloads none of it", async ({ page }) => {
  const bundle = new Map<string, { status: number; headers: Record<string, string> }>();
  page.on("response", (response) => {
    const path = new URL(response.url()).pathname;
    if (path.startsWith("/pkg/")) bundle.set(path, { status: response.status(), headers: response.headers() });
  });
  await page.goto("/");
  await expect(page.locator("main[data-hydrated=true]")).toBeVisible();

  // wasm-bindgen's snippets keep their names from build to build: those are revalidated instead.
  const isSnippet = (path: string) => path.startsWith("/pkg/snippets/");
  const names = [...bundle.keys()].filter((path) => !isSnippet(path)).sort();
  // The stylesheet, the JS and the wasm of the shell and the home page, and the loader of the other pages' chunks
  // (the split build): no chunk, since the home page is in the first download.
  expect(names).toHaveLength(4);
  const named = (kind: string) => names.find((path) => path.startsWith("/pkg/vector_app.") && path.endsWith(`.${kind}`));
  for (const kind of ["css", "js", "wasm"]) {
    expect(named(kind), kind).toMatch(new RegExp(`^/pkg/vector_app\\.[\\w-]+\\.${kind}$`));
  }
  expect(names.filter((path) => /^\/pkg\/__wasm_split\.[\w-]+\.js$/.test(path))).toHaveLength(1);
  for (const [path, { status, headers }] of bundle) {
    expect(status, path).toBe(200);
    const caching = isSnippet(path) ? "no-cache" : "public, max-age=31536000, immutable";
    expect(headers["cache-control"], path).toBe(caching);
    expect(headers["vary"], path).toContain("accept-encoding");
  }
  // The wasm is the largest part: compressed on the way, precompressed in a release build.
  expect(bundle.get(named("wasm")!)!.headers["content-encoding"]).toMatch(/^(br|gzip)$/);

  // Hashed names are cached for good: the next visit takes them from the browser's cache, not the network.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const servedFromCache = new Set<string>();
  const fromNetwork: string[] = [];
  const fromCache: string[] = [];
  cdp.on("Network.requestServedFromCache", (event) => servedFromCache.add(event.requestId));
  cdp.on("Network.responseReceived", (event) => {
    const path = new URL(event.response.url).pathname;
    if (!path.startsWith("/pkg/") || isSnippet(path)) return;
    const cached = event.response.fromDiskCache || servedFromCache.has(event.requestId);
    (cached ? fromCache : fromNetwork).push(path);
  });
  await page.goto("/");
  await expect(page.locator("main[data-hydrated=true]")).toBeVisible();
  expect(fromNetwork).toEqual([]);
  expect(fromCache.sort()).toEqual(names);
});

test("a page in a chunk of its own arrives when the browser first goes to it, hashed and cached for good", async ({ page }) => {
  const chunks: { path: string; caching?: string }[] = [];
  page.on("response", (response) => {
    const path = new URL(response.url()).pathname;
    if (/^\/pkg\/split_.*\.wasm$/.test(path)) chunks.push({ path, caching: response.headers()["cache-control"] });
  });
  // The dev-mode instance: signed in as the dev user, let into the members' page.
  await page.goto(`${DEV_APP_URL}/`);
  await expect(page.locator("main[data-hydrated=true]")).toBeVisible();
  expect(chunks, "the home page needs no chunk").toEqual([]);
  await page.getByRole("link", { name: "Members" }).first().click();
  await expect(page.getByTestId("members-area")).toBeVisible();
  expect(chunks.length, "the members page's chunk").toBeGreaterThan(0);
  for (const chunk of chunks) {
    expect(chunk.path).toMatch(/^\/pkg\/split_\w+\.[\w-]+\.wasm$/);
    expect(chunk.caching, chunk.path).toBe("public, max-age=31536000, immutable");
  }
});
