import { expect, test } from "@playwright/test";

import { APP_URL, PROXY_URL } from "../playwright.config";
import { fillProxyForm, waitForHydration } from "./helpers";

test("notes: create, list and delete, each said in a message; another user sees none of them", async ({ page, browser }) => {
  await page.goto("/notes");
  await fillProxyForm(page, { email: "noa@example.com", firstName: "Noa", lastName: "Notes" });
  await expect(page.getByTestId("no-notes")).toHaveText("No notes yet: add the first above.");

  // The messages are a polite live region: screen readers read each one as it appears.
  const messages = page.getByTestId("toasts");
  await expect(messages).toHaveAttribute("role", "status");
  await expect(messages).toHaveAttribute("aria-live", "polite");

  // The server's refusal: an alert (read at once), there until dismissed.
  await page.getByRole("button", { name: "Add note" }).click();
  const refusal = messages.getByRole("alert");
  await expect(refusal).toContainText("A note cannot be empty.");
  await page.waitForTimeout(6_000);
  await expect(refusal).toBeVisible();
  await refusal.getByRole("button", { name: "Dismiss" }).click();
  await expect(refusal).toHaveCount(0);

  for (const text of ["buy milk", "call Grace"]) {
    await page.getByLabel("New note").fill(text);
    await page.getByRole("button", { name: "Add note" }).click();
    await expect(page.getByTestId("notes")).toContainText(text);
  }
  await expect(messages).toContainText("Note added.");
  await expect(page.getByLabel("New note")).toHaveValue("");
  await expect(page.locator(".note")).toHaveCount(2);
  // A success fades on its own.
  await expect(messages).not.toContainText("Note added.", { timeout: 10_000 });

  await page.locator(".note", { hasText: "buy milk" }).getByRole("button", { name: "Delete" }).click();
  await expect(messages).toContainText("Note deleted.");
  await expect(page.locator(".note")).toHaveCount(1);
  await expect(page.getByTestId("notes")).toContainText("call Grace");
  await page.reload();
  await expect(page.locator(".note")).toHaveCount(1);

  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await otherPage.goto("/notes");
  await fillProxyForm(otherPage, { email: "zed@example.com", firstName: "Zed", lastName: "Other" });
  await expect(otherPage.getByTestId("no-notes")).toBeVisible();
  await other.close();
});

test("notes: a long list comes in pages, and 'Show more' adds the next", async ({ page }) => {
  await page.goto("/notes");
  await fillProxyForm(page, { email: "many@example.com", firstName: "Many", lastName: "Notes" });
  await expect(page.getByTestId("no-notes")).toBeVisible();
  // The first note through the page, to learn the server function's address; the other 100 straight to it.
  const created = page.waitForRequest((request) => request.url().includes("/api/create_note"));
  await page.getByLabel("New note").fill("note 0");
  await page.getByRole("button", { name: "Add note" }).click();
  const createNote = (await created).url();
  await expect(page.locator(".note")).toHaveCount(1);
  const sameOrigin = { "sec-fetch-site": "same-origin" };
  for (let n = 1; n <= 100; n++) {
    let response = await page.request.post(createNote, { form: { body: `note ${n}` }, headers: sameOrigin });
    if (response.status() === 401) {
      // The 5-second access token of the test run expired on the way: refresh, as the page would.
      expect((await page.request.post("/api/accounts/auth/refresh", { headers: sameOrigin })).status()).toBe(204);
      response = await page.request.post(createNote, { form: { body: `note ${n}` }, headers: sameOrigin });
    }
    expect(response.status()).toBe(200);
  }

  await page.reload();
  await expect(page.locator(".note")).toHaveCount(100);
  await expect(page.locator(".note").first()).toContainText("note 100");
  await page.getByRole("button", { name: "Show more" }).click();
  await expect(page.locator(".note")).toHaveCount(101);
  await expect(page.locator(".note").last()).toContainText("note 0");
  await expect(page.getByRole("button", { name: "Show more" })).toHaveCount(0);
});

test("a lost connection or a server failure during an action is one clear message, not a silent failure", async ({ page, context }) => {
  await page.goto("/notes");
  await fillProxyForm(page, { email: "offline@example.com", firstName: "Off", lastName: "Line" });
  await waitForHydration(page);
  await expect(page.getByTestId("no-notes")).toBeVisible();
  const failures = page.getByTestId("toasts").getByRole("alert");

  await context.setOffline(true);
  await page.getByLabel("New note").fill("written offline");
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(failures).toHaveCount(1);
  await expect(failures).toContainText("Cannot reach the server: check your connection, then try again.");
  await expect(page.getByLabel("New note")).toHaveValue("written offline");
  await context.setOffline(false);
  await failures.getByRole("button", { name: "Dismiss" }).click();

  // A 5xx from the server, whatever its body says (a proxy's error page here), is said plainly too.
  await page.route("**/api/create_note*", (route) => route.fulfill({ status: 502, contentType: "text/html", body: "<h1>Bad Gateway</h1>" }));
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(failures).toHaveCount(1);
  await expect(failures).toContainText("Something went wrong on the server. Try again in a moment.");
  await page.unroute("**/api/create_note*");

  await page.getByRole("button", { name: "Add note" }).click();
  await expect(page.getByTestId("notes")).toContainText("written offline");
  await expect(page.getByTestId("no-notes")).toHaveCount(0);
});

test("a call that meets an expired session refreshes once and succeeds", async ({ page, context }) => {
  await page.goto("/notes");
  await fillProxyForm(page, { email: "late@example.com", firstName: "Late", lastName: "Comer" });
  await expect(page.getByTestId("no-notes")).toBeVisible();
  const seen: string[] = [];
  page.on("response", (response) => {
    const url = response.url();
    if (url.includes("create_note") || url.includes("refresh_session")) {
      seen.push(`${url.includes("create_note") ? "create_note" : "refresh_session"} ${response.status()}`);
    }
  });
  // The access cookie is gone (expired), and the refresh timer has not fired yet.
  await context.clearCookies({ name: "access_token" });
  await page.getByLabel("New note").fill("written after expiry");
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(page.getByTestId("notes")).toContainText("written after expiry");
  expect(seen.slice(0, 3)).toEqual(["create_note 401", "refresh_session 200", "create_note 200"]);
  await expect(page.getByTestId("user-name")).toHaveText("Late Comer");
});

test("a silent refresh leaves the page alone: what the user is typing stays", async ({ page }) => {
  await page.goto("/notes");
  await fillProxyForm(page, { email: "typist@example.com", firstName: "Ty", lastName: "Pist" });
  await expect(page.getByTestId("no-notes")).toBeVisible();
  await page.getByLabel("New note").fill("half-written thought");

  // The 5-second access token is refreshed after about 3.75 s.
  const refreshed = page.waitForResponse((r) => r.url().includes("refresh_session"), { timeout: 10_000 });
  const reloads: string[] = [];
  page.on("request", (request) => {
    if (request.url().includes("list_notes")) reloads.push(request.url());
  });
  expect((await refreshed).status()).toBe(200);
  await page.waitForTimeout(500);

  await expect(page.getByLabel("New note")).toHaveValue("half-written thought");
  expect(reloads, "the notes were not fetched again").toEqual([]);
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(page.getByTestId("notes")).toContainText("half-written thought");
});

test("a page another site sent the browser to, with the access token expired, shows the user's notes", async ({ page, context }) => {
  await page.goto("/notes");
  await fillProxyForm(page, { email: "landing@example.com", firstName: "Lan", lastName: "Ding" });
  await page.getByLabel("New note").fill("still here");
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(page.getByTestId("notes")).toContainText("still here");

  // Later, from another site (the proxy's origin is same-site, not same-origin): the access token has expired,
  // so the server renders the page without the session, and the browser refreshes once hydrated.
  await context.clearCookies({ name: "access_token" });
  await page.goto(`${PROXY_URL}/.well-known/jwks.json`);
  const refreshed = page.waitForResponse((r) => r.url().includes("refresh_session"));
  await page.evaluate((url) => (window.location.href = url), `${APP_URL}/notes`);
  expect((await refreshed).status()).toBe(200);
  await expect(page.getByTestId("notes")).toContainText("still here");
  await expect(page.getByTestId("user-name")).toHaveText("Lan Ding");
});
