import { readFileSync } from "node:fs";

import { expect, type Page } from "@playwright/test";

import { APP_URL, PROXY_URL } from "../playwright.config";

export interface Person {
  email: string;
  firstName?: string;
  lastName?: string;
  picture?: string;
  /** The dev auth proxy's billing stand-in: whether this user has a subscription (default: active). */
  subscription?: "active" | "none";
}

/** Only the WASM sets this attribute: the page is hydrated and its buttons work. */
export async function waitForHydration(page: Page) {
  await expect(page.locator("main[data-hydrated=true]")).toBeVisible();
}

/** Fills in the dev auth proxy's sign-in form and waits to be back in the app (at `appUrl`), past the callback. */
export async function fillProxyForm(page: Page, person: Person, appUrl = APP_URL) {
  await page.waitForURL(`${PROXY_URL}/login?**`);
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("First name").fill(person.firstName ?? "");
  await page.getByLabel("Last name").fill(person.lastName ?? "");
  await page.getByLabel("Picture URL").fill(person.picture ?? "");
  await page.getByLabel("Subscription").selectOption(person.subscription ?? "active");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.origin === appUrl && url.pathname !== "/auth/callback");
}

/** Signs in from the page the browser is on, through the header's "Sign in" button. */
export async function signIn(page: Page, person: Person) {
  await waitForHydration(page);
  await page.locator("header").getByRole("button", { name: "Sign in" }).click();
  await fillProxyForm(page, person);
}

export async function signOut(page: Page) {
  await page.locator(".user-menu summary").click();
  await page.getByRole("button", { name: "Sign out" }).click();
}

/** Records when the page asks for a refresh, and which of its calls answer 401. */
export function watchSession(page: Page) {
  const refreshes: number[] = [];
  const unauthorized: string[] = [];
  page.on("request", (request) => {
    if (request.url().includes("refresh_session")) refreshes.push(Date.now());
  });
  page.on("response", (response) => {
    if (response.status() === 401) unauthorized.push(response.url());
  });
  return { refreshes, unauthorized };
}

/**
 * On the notes page: adds notes 1 to `count`, one every 4 seconds, across several 5-second access tokens;
 * `afterEach` checks the page after each one.
 */
export async function addNotesSlowly(page: Page, count: number, afterEach?: () => Promise<void>) {
  for (let i = 1; i <= count; i++) {
    await page.waitForTimeout(4_000);
    await page.getByLabel("New note").fill(`note ${i}`);
    await page.getByRole("button", { name: "Add note" }).click();
    await expect(page.getByTestId("notes")).toContainText(`note ${i}`);
    await afterEach?.();
  }
}

/**
 * The page's accessibility problems by axe-core's WCAG 2 A and AA rules, as "rule: element" lines (none is
 * the aim). axe runs through the DevTools protocol, so the app's script CSP does not stop it.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(readFileSync(require.resolve("axe-core/axe.min.js"), "utf8"));
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<AxeResults> } }).axe;
    const results = await axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
    return results.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")}`));
  });
}

interface AxeResults {
  violations: { id: string; nodes: { target: string[] }[] }[];
}
