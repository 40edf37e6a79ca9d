// The header holds every page of the app (the template's and each generated feature's): on a phone in one row,
// its links behind a menu button that works with the keyboard and screen readers.
import { expect, test, type Locator, type Page } from "@playwright/test";

import { accessibilityViolations, signIn, waitForHydration } from "./helpers";

/** The header's children (brand, menu, user area) all sit in its first row. */
async function expectOneRow(page: Page) {
  const boxes = await page.locator("header.site-header > *").evaluateAll((elements) =>
    elements
      .map((e) => e.getBoundingClientRect())
      .filter((r) => r.width > 0 && r.height > 0)
      .map((r) => ({ top: r.top, bottom: r.bottom })),
  );
  expect(boxes.length).toBeGreaterThanOrEqual(3);
  const firstRowBottom = Math.min(...boxes.map((b) => b.bottom));
  for (const box of boxes) expect(box.top, JSON.stringify(boxes)).toBeLessThan(firstRowBottom);
  // Nothing wider than the screen either.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(page.viewportSize()!.width);
}

async function expectHidden(links: Locator) {
  const count = await links.count();
  for (let i = 0; i < count; i++) await expect(links.nth(i)).toBeHidden();
}

test.describe("on a phone (390 px)", () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test("the header is one row, its links behind a menu button that the keyboard and screen readers can use", async ({ page }) => {
    await page.goto("/");
    await signIn(page, { email: "phone-header@example.com", firstName: "Phoebe", lastName: "Narrow-Screen" });
    await waitForHydration(page);
    await expectOneRow(page);

    const menu = page.getByRole("button", { name: "Menu" });
    const links = page.locator("#site-nav-links a");
    const count = await links.count();
    expect(count, "the template's links and any generated feature's").toBeGreaterThanOrEqual(2);
    await expect(menu).toHaveAttribute("aria-expanded", "false");
    await expect(menu).toHaveAttribute("aria-controls", "site-nav-links");
    await expectHidden(links);

    // The keyboard: Enter opens, every link is there and reachable with Tab, Escape closes and returns focus.
    await menu.focus();
    await page.keyboard.press("Enter");
    await expect(menu).toHaveAttribute("aria-expanded", "true");
    for (let i = 0; i < count; i++) await expect(links.nth(i)).toBeVisible();
    expect(await accessibilityViolations(page), "the menu open").toEqual([]);
    await page.keyboard.press("Tab");
    await expect(links.first()).toBeFocused();
    await page.keyboard.press("Escape");
    await expect(menu).toHaveAttribute("aria-expanded", "false");
    await expect(menu).toBeFocused();
    await expectHidden(links);

    // Each link followed: the menu closes, and it marks the current page.
    const paths = await links.evaluateAll((as) => as.map((a) => a.getAttribute("href")!));
    for (const [i, path] of paths.entries()) {
      await menu.click();
      await links.nth(i).click();
      await expect(page).toHaveURL(new RegExp(`${path}$`));
      await expect(menu).toHaveAttribute("aria-expanded", "false");
      await expect(page.locator("main h1").first()).toBeVisible();
      await expectOneRow(page);
      await menu.click();
      await expect(links.nth(i)).toHaveAttribute("aria-current", "page");
      for (const [j] of paths.entries()) {
        if (j !== i) await expect(links.nth(j)).not.toHaveAttribute("aria-current", "page");
      }
      await menu.click();
    }
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  test("signed out, the header is one row too", async ({ page }) => {
    await page.goto("/");
    await waitForHydration(page);
    await expectOneRow(page);
    await expect(page.locator("header").getByRole("button", { name: "Sign in" })).toBeVisible();
  });
});

test("on a wide screen (1280 px) the links are in the header itself, without the menu button", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/");
  await signIn(page, { email: "wide-header@example.com" });
  await waitForHydration(page);
  await expectOneRow(page);
  await expect(page.getByRole("button", { name: "Menu" })).toBeHidden();
  const links = page.locator("#site-nav-links a");
  for (let i = 0; i < (await links.count()); i++) await expect(links.nth(i)).toBeVisible();
  await links.first().click();
  await expect(links.first()).toHaveAttribute("aria-current", "page");
});
