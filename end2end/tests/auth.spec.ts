import { expect, test } from "@playwright/test";

import { APP_URL, DEV_APP_URL, PROXY_URL } from "../playwright.config";
import { addNotesSlowly, fillProxyForm, signIn, signOut, waitForHydration, watchSession } from "./helpers";

const ada = { email: "ada@example.com", firstName: "Ada", lastName: "Lovelace", picture: `${APP_URL}/favicon.svg` };

test("dev mode: the first visit is signed in as the dev user, with the badge", async ({ page }) => {
  const response = await page.goto(`${DEV_APP_URL}/`);
  // Rendered signed in by the server already: no signed-out flash.
  expect(await response!.text()).toMatch(/data-testid="dev-badge"[^>]*>Dev mode · (<!>)?dev@localhost/);
  await expect(page.getByTestId("dev-badge")).toHaveText("Dev mode · dev@localhost");
  await expect(page.getByTestId("user-name")).toHaveText("dev@localhost");
  await expect(page.getByRole("button", { name: "Sign in" })).toHaveCount(0);
});

test("real sign-in through the proxy shows the user, and the token leaves the address bar", async ({ page }) => {
  await page.goto("/");
  await signIn(page, ada);
  expect(page.url()).toBe(`${APP_URL}/`);
  await expect(page.getByTestId("user-name")).toHaveText("Ada Lovelace");
  await expect(page.locator("img.avatar")).toHaveAttribute("src", ada.picture);
  await page.locator(".user-menu summary").click();
  await expect(page.getByTestId("user-email")).toHaveText("ada@example.com");
  // The session cookies are HttpOnly: page scripts cannot read them.
  expect(await page.evaluate(() => document.cookie)).not.toContain("access_token");
});

test("sign-in and refresh work in a browser without crypto.randomUUID and AbortSignal.timeout", async ({ page }) => {
  await page.addInitScript(() => {
    // As in older browsers and insecure contexts.
    delete (Crypto.prototype as { randomUUID?: unknown }).randomUUID;
    delete (AbortSignal as { timeout?: unknown }).timeout;
  });
  await page.goto("/");
  expect(await page.evaluate(() => typeof crypto.randomUUID + typeof AbortSignal.timeout)).toBe("undefinedundefined");
  await waitForHydration(page);
  await page.locator("header").getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${PROXY_URL}/login?**`);
  expect(new URL(page.url()).searchParams.get("state")).toMatch(/^[0-9a-f]{32}$/);
  await fillProxyForm(page, { email: "old-browser@example.com" });
  await expect(page.getByTestId("user-name")).toHaveText("old-browser@example.com");
  // A silent refresh (5-second access tokens here) takes the lock through the fallback timeout signal.
  const refreshed = page.waitForResponse((r) => r.url().includes("refresh_session") && r.status() === 200, { timeout: 15_000 });
  await refreshed;
  await page.reload();
  await expect(page.getByTestId("user-name")).toHaveText("old-browser@example.com");
});

test("a sign-out the server could not finish says so and keeps the user signed in", async ({ page }) => {
  await page.goto("/");
  await signIn(page, { email: "stays@example.com" });
  await expect(page.getByTestId("user-name")).toHaveText("stays@example.com");

  // The server cannot end the session (its database is away): the logout call answers 503.
  await page.route("**/api/logout*", (route) =>
    route.fulfill({
      status: 503,
      contentType: "application/json",
      body: JSON.stringify({ status: 503, detail: "Database unavailable." }),
    }),
  );
  await signOut(page);
  // An error message stays until dismissed, and screen readers hear it at once (role="alert").
  const failed = page.getByTestId("toasts").getByRole("alert");
  await expect(failed).toContainText("Sign-out failed: Database unavailable.");
  await expect(page.getByTestId("user-name")).toHaveText("stays@example.com");
  await expect(page.locator("header").getByRole("button", { name: "Sign in" })).toHaveCount(0);

  await failed.getByRole("button", { name: "Dismiss" }).click();
  await expect(failed).toHaveCount(0);

  await page.unroute("**/api/logout*");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.locator("header").getByRole("button", { name: "Sign in" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Signed out." })).toBeVisible();
  await page.reload();
  await expect(page.locator("header").getByRole("button", { name: "Sign in" })).toBeVisible();
});

for (const chunkDelay of [0, 1_500]) {
  test(`arriving from another site: the server does not rotate the session, the page refreshes once hydrated (page code ${chunkDelay} ms late)`, async ({ page }) => {
    // A late chunk (the notes page's code) is hydrated after the refresh could have finished: the page must still
    // be hydrated as the server rendered it, without the session, and only then show it.
    if (chunkDelay) {
      await page.route(/\/pkg\/(split_|chunk_)[^/]*\.wasm$/, async (route) => {
        await new Promise((resolve) => setTimeout(resolve, chunkDelay));
        await route.continue();
      });
    }
    await page.goto("/");
    await signIn(page, { email: `from-elsewhere-${chunkDelay}@example.com` });
    await expect(page.getByTestId("user-name")).toHaveText(`from-elsewhere-${chunkDelay}@example.com`);

    // Leave for another site (localhost is another site than 127.0.0.1) until the 5-second access token is gone.
    await page.goto("http://localhost:3900/.well-known/jwks.json");
    await page.waitForTimeout(6_000);
    const arrival = page.waitForResponse(`${APP_URL}/notes`);
    const refreshed = page.waitForResponse((r) => r.url().includes("refresh_session"));
    await page.evaluate((url) => {
      window.location.href = url;
    }, `${APP_URL}/notes`);
    const response = await arrival;
    // (Chromium does not report this header of a page whose requests are routed.)
    if (!chunkDelay) expect((await response.request().allHeaders())["sec-fetch-site"]).toBe("cross-site");
    expect(await response.headerValue("set-cookie")).toBeNull();
    expect((await refreshed).status()).toBe(200);
    await expect(page.getByTestId("user-name")).toHaveText(`from-elsewhere-${chunkDelay}@example.com`);
    await expect(page.getByRole("heading", { name: "Your notes" })).toBeVisible();
  });
}

for (const [label, minutes] of [
  ["fast", 10],
  ["slow", -10],
] as const) {
  test(`a browser clock 10 minutes ${label}: the user keeps working, refreshing at the normal rate`, async ({ page }) => {
    await page.clock.install({ time: Date.now() + minutes * 60_000 });
    const { refreshes, unauthorized } = watchSession(page);
    await page.goto("/notes");
    await fillProxyForm(page, { email: `clock-${label}@example.com` });
    const started = Date.now();
    await addNotesSlowly(page, 3);
    const elapsed = Date.now() - started;
    console.log(`clock ${label}: ${refreshes.length} refreshes in ${elapsed} ms`);
    // A 5-second access token is refreshed at three quarters of its life, about every 3.75 s.
    expect(refreshes.length).toBeGreaterThanOrEqual(2);
    expect(refreshes.length).toBeLessThanOrEqual(Math.ceil(elapsed / 3_000) + 1);
    expect(unauthorized).toEqual([]);
  });
}

test("a callback with a wrong or missing state is refused", async ({ page }) => {
  await page.goto("/");
  await waitForHydration(page);
  await page.evaluate(() => sessionStorage.setItem("vector-auth:state", "the-state-this-tab-sent"));
  for (const fragment of ["#token=abc.def.ghi&state=another-state", "#token=abc.def.ghi"]) {
    await page.goto("/");
    await page.goto(`/auth/callback${fragment}`);
    await expect(page.getByTestId("sign-in-error")).toContainText("state mismatch");
    expect(page.url()).toBe(`${APP_URL}/auth/callback`);
    await expect(page.getByRole("button", { name: "Try again" })).toBeVisible();
  }
  await expect(page.locator("header").getByRole("button", { name: "Sign in" })).toBeVisible();
});

test("with a 5-second access token the user keeps working across several lifetimes", async ({ page }) => {
  const { refreshes, unauthorized } = watchSession(page);
  await page.goto("/notes");
  await fillProxyForm(page, { email: "worker@example.com", firstName: "Busy", lastName: "Worker" });
  const started = Date.now();
  await addNotesSlowly(page, 4, () => expect(page.getByTestId("user-name")).toHaveText("Busy Worker"));
  const gaps = refreshes.map((t, i) => (i === 0 ? t - started : t - refreshes[i - 1]));
  console.log(`refreshes after sign-in, ms apart: ${gaps.join(", ")} (${Date.now() - started} ms in all)`);
  expect(refreshes.length).toBeGreaterThanOrEqual(3);
  expect(unauthorized).toEqual([]);
});

test("two tabs: one refresh per expiry, and signing out in one signs out the other", async ({ browser }) => {
  const context = await browser.newContext();
  const first = await context.newPage();
  await first.goto("/");
  await signIn(first, { email: "tabs@example.com", firstName: "Two", lastName: "Tabs" });
  const second = await context.newPage();
  await second.goto("/");
  await waitForHydration(second);
  await expect(second.getByTestId("user-name")).toHaveText("Two Tabs");

  const refreshes: number[] = [];
  context.on("request", (request) => {
    if (request.url().includes("refresh_session")) refreshes.push(Date.now());
  });
  const window = 12_000;
  await first.waitForTimeout(window);
  console.log(`two tabs: ${refreshes.length} refresh requests in ${window} ms with a 5 s access token`);
  // One tab refreshes per expiry (about every 3.75 s); two uncoordinated tabs would make about 6.
  expect(refreshes.length).toBeGreaterThanOrEqual(2);
  expect(refreshes.length).toBeLessThanOrEqual(4);
  await expect(first.getByTestId("user-name")).toHaveText("Two Tabs");
  await expect(second.getByTestId("user-name")).toHaveText("Two Tabs");

  await signOut(first);
  await expect(first.locator("header").getByRole("button", { name: "Sign in" })).toBeVisible();
  await expect(second.locator("header").getByRole("button", { name: "Sign in" })).toBeVisible();
  await context.close();
});

test("a protected page sends a signed-out visitor to sign in and back to that page", async ({ page }) => {
  await page.goto("/notes?from=test");
  await fillProxyForm(page, { email: "returning@example.com", firstName: "Re", lastName: "Turn" });
  expect(page.url()).toBe(`${APP_URL}/notes?from=test`);
  await expect(page.getByRole("heading", { name: "Your notes" })).toBeVisible();
});

test("a key rotation at the proxy between two sign-ins: both succeed", async ({ browser, request }) => {
  const before = await browser.newContext();
  const page = await before.newPage();
  await page.goto("/");
  await signIn(page, { email: "before@example.com", firstName: "Before", lastName: "Rotation" });
  await expect(page.getByTestId("user-name")).toHaveText("Before Rotation");

  const rotated = await request.post(`${PROXY_URL}/rotate`);
  expect(rotated.ok()).toBeTruthy();
  const jwks = await (await request.get(`${PROXY_URL}/.well-known/jwks.json`)).json();
  expect(jwks.keys.length).toBe(2);

  const after = await browser.newContext();
  const second = await after.newPage();
  await second.goto("/");
  await signIn(second, { email: "after@example.com", firstName: "After", lastName: "Rotation" });
  await expect(second.getByTestId("user-name")).toHaveText("After Rotation");
  await before.close();
  await after.close();
});

test("a returning user with only a valid refresh cookie gets a signed-in first page", async ({ page, context }) => {
  await page.goto("/");
  await signIn(page, { email: "back@example.com", firstName: "Welcome", lastName: "Back" });
  // The access cookie has expired and the browser dropped it; the refresh cookie remains.
  await context.clearCookies({ name: "access_token" });
  expect((await context.cookies()).map((c) => c.name)).toContain("refresh_token");

  const response = await page.goto("/");
  const html = await response!.text();
  expect(html).toContain("Welcome Back");
  expect(html).not.toContain(">Sign in<");
  expect((await context.cookies()).map((c) => c.name)).toContain("access_token");
});
