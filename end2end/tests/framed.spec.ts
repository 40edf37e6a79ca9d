import { expect, test, type Frame, type Page } from "@playwright/test";

import { FRAMED_APP_URL, HOST_SITE_URL, PROXY_URL } from "../playwright.config";
// The app inside another site's iframe, as Vector shows apps: sign-in runs in a popup, and the session lives in
// Secure, SameSite=None, Partitioned cookies (framed-servers.mjs serves both sites over HTTPS on loopback).
test.use({ ignoreHTTPSErrors: true });

const MESSAGE_KIND = "vector-auth:popup-token";

/** The host site's page framing the app's `path`, hydrated. */
async function openHost(page: Page, path: string): Promise<Frame> {
  await page.goto(`${HOST_SITE_URL}/?path=${path}`);
  const frame = page.frame({ url: (url) => url.origin === FRAMED_APP_URL });
  if (!frame) throw new Error("the host page has no frame of the app");
  await expect(frame.locator("main[data-hydrated=true]")).toBeVisible();
  return frame;
}

/** Clicks the frame's "Sign in" and returns the popup, on the proxy's form. */
async function openSignInPopup(page: Page, frame: Frame): Promise<Page> {
  const opened = page.waitForEvent("popup");
  await frame.locator("header").getByRole("button", { name: "Sign in" }).click();
  const popup = await opened;
  await popup.waitForURL(`${PROXY_URL}/login?**`);
  return popup;
}

async function submitProxyForm(popup: Page, email: string) {
  await popup.getByLabel("Email").fill(email);
  await popup.getByLabel("First name").fill("Frida");
  await popup.getByLabel("Last name").fill("Framed");
  const closed = popup.waitForEvent("close");
  await popup.getByRole("button", { name: "Sign in" }).click();
  await closed;
}

test("framed: sign in through a popup, work on notes across token lifetimes, sign out in every tab", async ({ page, context }) => {
  const exchanges: string[][] = [];
  page.on("response", async (response) => {
    if (response.url().includes("exchange_token")) exchanges.push(await response.headerValues("set-cookie"));
  });
  const frame = await openHost(page, "/notes");
  // Framed, a signed-out page waits for a click: a popup needs one, and the host page stays where it is.
  await expect(frame.getByRole("heading", { name: "Sign in to continue" })).toBeVisible();
  expect(page.url()).toBe(`${HOST_SITE_URL}/?path=/notes`);

  // The host site (another origin) sends a real token with the right state: the frame ignores it.
  let popup = await openSignInPopup(page, frame);
  const state = new URL(popup.url()).searchParams.get("state") ?? "";
  expect(state).toMatch(/^popup-[0-9a-f]{32}$/);
  const signIn = await page.request.post(`${PROXY_URL}/login`, {
    form: { redirect_uri: `${FRAMED_APP_URL}/auth/callback`, state, email: "mallory@example.com" },
    maxRedirects: 0,
  });
  const token = new URLSearchParams((signIn.headers()["location"] ?? "").split("#")[1]).get("token");
  expect(token).toBeTruthy();
  await page.evaluate(
    ([kind, token, state]) => {
      const app = document.querySelector("iframe");
      app?.contentWindow?.postMessage(JSON.stringify({ kind, token, state }), "*");
    },
    [MESSAGE_KIND, token, state],
  );
  // The popup's answer with another state is refused, and the popup closed.
  await popup.locator("input[name=state]").evaluate((input: HTMLInputElement) => (input.value = "popup-forged"));
  await submitProxyForm(popup, "frida@example.com");
  await expect(frame.getByTestId("popup-sign-in-error")).toContainText("state mismatch");
  await expect(frame.getByRole("heading", { name: "Sign in to continue" })).toBeVisible();
  expect(exchanges).toHaveLength(0);

  // The real sign-in: the popup hands the token over and closes; the frame exchanges it in its own partition.
  popup = await openSignInPopup(page, frame);
  await submitProxyForm(popup, "frida@example.com");
  await expect(frame.getByTestId("no-notes")).toBeVisible();
  await expect(frame.getByTestId("popup-sign-in-error")).toHaveCount(0);
  expect(exchanges).toHaveLength(1);
  const sessionCookies = exchanges[0].filter((line) => /^(access_token|refresh_token)=/.test(line));
  expect(sessionCookies).toHaveLength(2);
  for (const line of sessionCookies) {
    expect(line).toContain("Secure");
    expect(line).toContain("SameSite=None");
    expect(line).toContain("Partitioned");
  }

  // Notes across several 5-second access tokens: the frame refreshes its session.
  const refreshes: string[] = [];
  page.on("request", (request) => {
    if (request.url().includes("refresh_session")) refreshes.push(request.url());
  });
  for (const text of ["framed one", "framed two"]) {
    await frame.getByLabel("New note").fill(text);
    await frame.getByRole("button", { name: "Add note" }).click();
    await expect(frame.getByTestId("notes")).toContainText(text);
    await page.waitForTimeout(6_000);
  }
  expect(refreshes.length).toBeGreaterThan(0);
  await page.reload();
  const reloaded = page.frame({ url: (url) => url.origin === FRAMED_APP_URL });
  await expect(reloaded!.locator(".note")).toHaveCount(2);

  // The cookies belong to the frame's partition: the app opened as a site of its own does not see them.
  const direct = await context.newPage();
  const me = await direct.goto(`${FRAMED_APP_URL}/api/accounts/me/`);
  expect(me?.status()).toBe(401);
  await direct.close();

  // A second tab of the host site shares the partition; signing out in one frame signs out both.
  const other = await context.newPage();
  const otherFrame = await openHost(other, "/notes");
  await expect(otherFrame.locator(".note")).toHaveCount(2);
  const frameNow = page.frame({ url: (url) => url.origin === FRAMED_APP_URL })!;
  await frameNow.locator(".user-menu summary").click();
  await frameNow.getByRole("button", { name: "Sign out" }).click();
  await expect(frameNow.locator("header").getByRole("button", { name: "Sign in" })).toBeVisible();
  await expect(otherFrame.locator("header").getByRole("button", { name: "Sign in" })).toBeVisible({ timeout: 5_000 });
});
