import { expect, test } from "@playwright/test";

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
