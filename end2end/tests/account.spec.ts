import { expect, test } from "@playwright/test";

import { fillProxyForm, waitForHydration } from "./helpers";

const person = { email: "acct@example.com", firstName: "Acc", lastName: "Ount" };

test("account: end another device's session from the account page; sign out everywhere signs out every tab", async ({ page, context, browser }) => {
  await page.goto("/account");
  await fillProxyForm(page, person);
  const messages = page.getByTestId("toasts");
  await expect(messages).toContainText("Signed in as Acc Ount.");
  await expect(page.getByTestId("profile-name")).toHaveText("Acc Ount");
  await expect(page.getByTestId("session")).toHaveCount(1);
  // Times in the browser's own zone (the test's is UTC; the server's rendering says so, the browser's does not).
  const signedInAt = page.getByTestId("session").locator("time").first();
  await expect(signedInAt).toHaveAttribute("datetime", /Z$/);
  await expect(signedInAt).not.toContainText("UTC");

  // Another device signs in as the same person.
  const device = await browser.newContext();
  const other = await device.newPage();
  await other.goto("/notes");
  await fillProxyForm(other, person);
  await expect(other.getByTestId("no-notes")).toBeVisible();

  await page.reload();
  const sessions = page.getByTestId("session");
  await expect(sessions).toHaveCount(2);
  await expect(sessions.filter({ hasText: "This device" })).toHaveCount(1);
  await sessions.filter({ hasNotText: "This device" }).getByRole("button", { name: "End" }).click();
  await expect(messages).toContainText("Session ended: that device is signed out.");
  await expect(sessions).toHaveCount(1);

  // The other device is signed out on its next action.
  await other.getByLabel("New note").fill("after the end");
  await other.getByRole("button", { name: "Add note" }).click();
  await expect(other.locator("header").getByRole("button", { name: "Sign in" })).toBeVisible();
  await device.close();

  // Two tabs here; "Sign out everywhere" signs out both.
  const second = await context.newPage();
  await second.goto("/notes");
  await expect(second.getByTestId("no-notes")).toBeVisible();
  // Listening to the other tabs (a tab whose script has not started yet finds out at its next refresh).
  await waitForHydration(second);
  await page.getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(page.locator("header").getByRole("button", { name: "Sign in" })).toBeVisible();
  await expect(messages).toContainText("Signed out everywhere.");
  await expect(second.locator("header").getByRole("button", { name: "Sign in" })).toBeVisible();
  await expect(second.getByTestId("toasts")).toContainText("Signed out in another tab.");
  expect((await page.request.get("/api/accounts/me/")).status()).toBe(401);
});

test("account: a device signed out from another keeps its proxy token, and posting it again is refused", async ({ page, browser }) => {
  const owner = { email: "replay@example.com", firstName: "Re", lastName: "Play" };
  await page.goto("/account");
  await fillProxyForm(page, owner);
  await expect(page.getByTestId("session")).toHaveCount(1);

  // A second device; what it keeps is what someone holding it (or a copy of its cookies) has.
  const device = await browser.newContext();
  const other = await device.newPage();
  await other.goto("/notes");
  await fillProxyForm(other, owner);
  await expect(other.getByTestId("no-notes")).toBeVisible();
  const kept = (await device.cookies()).find((cookie) => cookie.name === "uga_jwt");
  expect(kept, "the device keeps the proxy token in uga_jwt").toBeTruthy();

  await page.reload();
  await expect(page.getByTestId("session")).toHaveCount(2);
  await page.getByRole("button", { name: "Sign out other sessions" }).click();
  await expect(page.getByTestId("toasts")).toContainText("Signed out 1 other session.");
  await expect(page.getByTestId("session")).toHaveCount(1);

  // The stored token, posted again from the signed-out device: no new session.
  const replay = await other.request.post("/api/accounts/auth/token", {
    data: { token: kept!.value },
    headers: { "sec-fetch-site": "same-origin" },
  });
  expect(replay.status()).toBe(401);
  expect((await replay.json()).detail).toBe("This sign-in has ended: sign in again.");
  expect((await other.request.get("/api/accounts/me/")).status()).toBe(401);
  await device.close();

  // This device's own session goes on.
  expect((await page.request.get("/api/accounts/me/")).status()).toBe(200);
});
