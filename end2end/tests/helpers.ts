import { expect, type Page } from "@playwright/test";

import { APP_URL, PROXY_URL } from "../playwright.config";

export interface Person {
  email: string;
  firstName?: string;
  lastName?: string;
  picture?: string;
}

/** Only the WASM sets this attribute: the page is hydrated and its buttons work. */
export async function waitForHydration(page: Page) {
  await expect(page.locator("main[data-hydrated=true]")).toBeVisible();
}

/** Fills in the dev auth proxy's sign-in form and waits to be back in the app, past the callback. */
export async function fillProxyForm(page: Page, person: Person) {
  await page.waitForURL(`${PROXY_URL}/login?**`);
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("First name").fill(person.firstName ?? "");
  await page.getByLabel("Last name").fill(person.lastName ?? "");
  await page.getByLabel("Picture URL").fill(person.picture ?? "");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.origin === APP_URL && url.pathname !== "/auth/callback");
}

/** Signs in from the page the browser is on, through the header's "Sign in" button. */
export async function signIn(page: Page, person: Person) {
  await waitForHydration(page);
  await page.locator("header").getByRole("button", { name: "Sign in" }).click();
  await fillProxyForm(page, person);
}

export async function signOut(page: Page) {
  await page.locator("summary[aria-label=Account]").click();
  await page.getByRole("button", { name: "Sign out" }).click();
}
