// Light, dark and system themes: the server renders the visitor's choice (the `theme` cookie), the system's
// otherwise, and every page passes axe (WCAG 2.1 AA, colour contrast included) in both.
import { expect, test, type Page } from "@playwright/test";

import { APP_URL } from "../playwright.config";
import { accessibilityViolations, fillProxyForm, signIn, waitForHydration } from "./helpers";

/** Whether the page's background is dark: its relative luminance below one half. */
async function looksDark(page: Page): Promise<boolean> {
  // The body's background, or the root's where the body's is transparent.
  const rgb = await page.evaluate(() => {
    const body = getComputedStyle(document.body).backgroundColor;
    return body === "rgba(0, 0, 0, 0)" ? getComputedStyle(document.documentElement).backgroundColor : body;
  });
  const [r, g, b] = (rgb.match(/\d+(\.\d+)?/g) ?? []).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 < 0.5;
}

for (const theme of ["light", "dark"] as const) {
  test(`${theme} theme: every page is rendered in it and passes axe, the sign-in page and messages included`, async ({ page, context }) => {
    await context.addCookies([{ name: "theme", value: theme, url: APP_URL }]);
    // The proxy's sign-in page follows the system's setting (it knows nothing of the app's cookie).
    await page.emulateMedia({ colorScheme: theme });

    const response = await page.goto("/");
    expect(await response!.text()).toContain(`<html lang="en" data-theme="${theme}"`);
    await waitForHydration(page);
    expect(await looksDark(page)).toBe(theme === "dark");
    expect(await accessibilityViolations(page), "home, signed out").toEqual([]);

    await page.locator("header").getByRole("button", { name: "Sign in" }).click();
    await page.getByLabel("Email").waitFor();
    expect(await looksDark(page)).toBe(theme === "dark");
    expect(await accessibilityViolations(page), "the dev auth proxy's sign-in page").toEqual([]);
    await fillProxyForm(page, { email: `${theme}-theme@example.com`, firstName: "Theo", lastName: "Mode" });
    await waitForHydration(page);

    // The user menu open, with the theme toggle in it.
    await page.locator(".user-menu summary").click();
    await expect(page.getByRole("button", { name: theme === "dark" ? "Dark" : "Light" })).toHaveAttribute("aria-pressed", "true");
    expect(await accessibilityViolations(page), "home, signed in, the user menu open").toEqual([]);

    // Every page in the header (the generated ones too) and the account page.
    const links = await page.locator('nav[aria-label="Main"] a').evaluateAll((as) => as.map((a) => a.getAttribute("href")!));
    for (const path of [...links, "/account"]) {
      await page.goto(path);
      await waitForHydration(page);
      await expect(page.locator("main h1").first()).toBeVisible();
      expect(await looksDark(page), path).toBe(theme === "dark");
      expect(await accessibilityViolations(page), path).toEqual([]);
    }

    // Both kinds of message: an error (a refused note) and a success.
    await page.goto("/notes");
    await waitForHydration(page);
    await page.getByRole("button", { name: "Add note" }).click();
    await expect(page.getByTestId("toasts").getByRole("alert")).toBeVisible();
    await page.getByLabel("New note").fill(`in the ${theme} theme`);
    await page.getByRole("button", { name: "Add note" }).click();
    await expect(page.getByTestId("toasts")).toContainText("Note added.");
    expect(await accessibilityViolations(page), "the notes page with both messages").toEqual([]);

    // The not-found page.
    await page.goto("/no-such-page");
    expect(await accessibilityViolations(page), "not found").toEqual([]);
  });
}

test("the system's setting is the default; the toggle switches at once, is remembered, and the server renders it", async ({ page, context }) => {
  await page.emulateMedia({ colorScheme: "dark" });
  const first = await page.goto("/");
  const firstHtml = await first!.text();
  expect(firstHtml).toContain('<html lang="en">');
  await waitForHydration(page);
  expect(await looksDark(page), "a dark system, no choice made").toBe(true);
  await page.emulateMedia({ colorScheme: "light" });
  expect(await looksDark(page), "a light system, no choice made").toBe(false);

  // Signed out, the toggle is behind "Theme" in the header.
  await page.locator(".theme-menu summary").click();
  await expect(page.getByRole("button", { name: "System" })).toHaveAttribute("aria-pressed", "true");
  await page.getByRole("button", { name: "Dark" }).click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  expect(await looksDark(page)).toBe(true);
  await expect(page.getByRole("button", { name: "Dark" })).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByRole("button", { name: "System" })).toHaveAttribute("aria-pressed", "false");
  expect((await context.cookies()).find((c) => c.name === "theme")).toMatchObject({ value: "dark", sameSite: "Lax", path: "/" });

  // Remembered: the server renders the page dark (no flash of the light one), with no script added for it.
  const again = await page.goto("/");
  const againHtml = await again!.text();
  expect(againHtml).toContain('<html lang="en" data-theme="dark">');
  const scripts = (html: string) => html.match(/<script/g)?.length ?? 0;
  expect(scripts(againHtml)).toBe(scripts(firstHtml));
  await waitForHydration(page);
  await page.locator(".theme-menu summary").click();
  await expect(page.getByRole("button", { name: "Dark" })).toHaveAttribute("aria-pressed", "true");

  // Back to the system's: the attribute goes, and the page follows the system again.
  await page.getByRole("button", { name: "System" }).click();
  await expect(page.locator("html")).not.toHaveAttribute("data-theme", /.*/);
  expect(await looksDark(page)).toBe(false);
  await page.emulateMedia({ colorScheme: "dark" });
  expect(await looksDark(page)).toBe(true);

  // Signed in, the toggle is in the user menu.
  await signIn(page, { email: "toggler@example.com" });
  await page.locator(".user-menu summary").click();
  await page.getByRole("button", { name: "Light" }).click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
  expect(await looksDark(page), "light, whatever the system says").toBe(false);
  await page.goto("/notes");
  await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
});

test("without JavaScript the toggle is a form: the server sets the theme and sends the browser back", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false, colorScheme: "light" });
  const page = await context.newPage();
  await page.goto("/members");
  await page.locator(".theme-menu summary").click();
  await page.getByRole("button", { name: "Dark" }).click();
  await expect(page).toHaveURL(`${APP_URL}/members`);
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  expect(await looksDark(page)).toBe(true);

  // Only back to this site, and only a theme it knows.
  const offSite = await page.request.post("/api/theme", {
    form: { theme: "light", return_to: "//evil.example/" },
    headers: { "sec-fetch-site": "same-origin" },
    maxRedirects: 0,
  });
  expect(offSite.status()).toBe(303);
  expect(offSite.headers()["location"]).toBe("/");
  const unknown = await page.request.post("/api/theme", {
    form: { theme: "blue", return_to: "/" },
    headers: { "sec-fetch-site": "same-origin" },
    maxRedirects: 0,
  });
  expect(unknown.status()).toBe(400);
  await context.close();
});
