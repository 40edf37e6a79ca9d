import { expect, test } from "@playwright/test";

import { APP_URL } from "../playwright.config";

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
