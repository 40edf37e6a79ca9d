import { expect, test } from "@playwright/test";

import { DEV_APP_URL, PROXY_URL } from "../playwright.config";
import { fillProxyForm, waitForHydration } from "./helpers";

// The app asks the dev auth proxy's stand-in for Vector's billing API (scripts/test sets VECTOR_API_URL).

test("members: a subscriber sees the page", async ({ page }) => {
  await page.goto("/members");
  await fillProxyForm(page, { email: "sub@example.com", firstName: "Sub", lastName: "Scriber" });
  await expect(page.getByTestId("members-area")).toContainText("Your plan includes this app.");
  await expect(page.getByTestId("entitlement-required")).toHaveCount(0);
  // Rendered by the server too, not only after hydration.
  const html = await (await page.request.get("/members")).text();
  expect(html).toContain('data-testid="members-area"');
});

test("members: without a subscription the page links to Vector's plans, and subscribing opens it", async ({ page }) => {
  await page.goto("/members");
  await fillProxyForm(page, { email: "free@example.com", firstName: "Free", lastName: "Loader", subscription: "none" });
  const gate = page.getByTestId("entitlement-required");
  await expect(gate).toContainText("Your plan does not include this page.");
  await expect(page.getByTestId("members-area")).toHaveCount(0);

  await waitForHydration(page);
  await gate.getByTestId("entitlement-link").click();
  await page.waitForURL(`${PROXY_URL}/billing/subscribe?**`);
  await page.getByRole("button", { name: "Subscribe" }).click();
  await expect(page.getByRole("heading", { name: "Subscribed" })).toBeVisible();

  await page.goto("/members");
  await expect(page.getByTestId("members-area")).toBeVisible();
});

test("members: in dev mode the dev user has no Vector id and is let in", async ({ page }) => {
  await page.goto(`${DEV_APP_URL}/members`);
  await expect(page.getByTestId("members-area")).toBeVisible();
  const answer = await page.request.get(`${DEV_APP_URL}/api/accounts/billing/entitlements/`);
  expect(await answer.json()).toMatchObject({ cache: { version: "fallback-no-vector-user-id" } });
});
