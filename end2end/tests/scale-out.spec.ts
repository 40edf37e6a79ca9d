import { expect, test } from "@playwright/test";

import { BALANCER_URL, Balancer, Instance, SlowBilling } from "../scale-out";
import { addNotesSlowly, fillProxyForm, signOut, waitForHydration, watchSession } from "./helpers";

// Two instances on one database behind nginx (deploy/nginx.conf), round-robin with no stickiness.
const first = new Instance(3010);
const second = new Instance(3011);
const balancer = new Balancer();
const billing = new SlowBilling();

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  await billing.start();
  await Promise.all([first.start(), second.start()]);
  await balancer.start();
});

test.afterAll(async () => {
  balancer.stop();
  billing.stop();
  await Promise.all([first.stop("SIGKILL"), second.stop("SIGKILL")]);
});

/** The server-function calls and pages an instance answered (not health checks). */
const work = (instance: Instance) => instance.served().filter((line) => !line.path.startsWith("/api/health"));

test("behind nginx: a session works on either instance across token lifetimes, and signing out reaches every tab; with one instance stopped, the other carries on", async ({ browser }) => {
  const context = await browser.newContext({ baseURL: BALANCER_URL });
  const page = await context.newPage();
  const session = watchSession(page);
  await page.goto("/notes");
  await fillProxyForm(page, { email: "scale@example.com", firstName: "Scale", lastName: "Out" }, BALANCER_URL);
  await expect(page.getByTestId("no-notes")).toBeVisible();

  // Three notes, one every 4 s with 5-second access tokens: several refreshes, each call on either instance.
  await addNotesSlowly(page, 3);
  expect(session.refreshes.length).toBeGreaterThanOrEqual(2);
  // Each note and each refresh went to one instance or the other (which, nginx's alternation decides).
  const calls = (instance: Instance, name: string) =>
    work(instance).filter((line) => line.path.includes(name) && line.status === 200).length;
  expect(calls(first, "create_note") + calls(second, "create_note")).toBe(3);
  expect(calls(first, "refresh_session") + calls(second, "refresh_session")).toBeGreaterThanOrEqual(2);
  for (const instance of [first, second]) {
    const share = calls(instance, "create_note") + calls(instance, "refresh_session");
    expect(share, `instance ${instance.port} added notes or refreshed the session`).toBeGreaterThan(0);
  }
  await page.reload();
  await expect(page.locator(".note")).toHaveCount(3);

  // The session was recorded with the browser's address from nginx's X-Forwarded-For, not nginx's own.
  await page.goto("/account");
  await expect(page.getByTestId("session")).toHaveCount(1);
  await expect(page.getByTestId("session")).toContainText("127.0.0.1 ·");

  // Two tabs; signing out in one signs out both.
  await page.goto("/notes");
  const other = await context.newPage();
  await other.goto("/notes");
  await waitForHydration(other);
  await expect(other.locator(".note")).toHaveCount(3);
  await signOut(page);
  await expect(page.locator("header").getByRole("button", { name: "Sign in" })).toBeVisible();
  await expect(other.locator("header").getByRole("button", { name: "Sign in" })).toBeVisible();
  expect((await page.request.get("/api/accounts/me/")).status()).toBe(401);
  await other.close();

  // Signed in again, one instance dies mid-session; every request now lands on the other one.
  await page.goto("/notes");
  await fillProxyForm(page, { email: "scale@example.com", firstName: "Scale", lastName: "Out" }, BALANCER_URL);
  await expect(page.locator(".note")).toHaveCount(3);
  await first.stop("SIGKILL");
  const before = work(second).length;
  await page.getByLabel("New note").fill("after the crash");
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(page.getByTestId("notes")).toContainText("after the crash");
  // Across two more token lifetimes, with refreshes.
  await addNotesSlowly(page, 2);
  await page.reload();
  await expect(page.locator(".note")).toHaveCount(6);
  await expect(page.getByTestId("user-name")).toHaveText("Scale Out");
  expect(work(second).length - before).toBeGreaterThanOrEqual(5);
  await context.close();
});

test("rolling restart: SIGTERM lets the requests in flight finish, and nginx sends new ones to the other instance", async ({ browser }) => {
  await first.start();
  const context = await browser.newContext({ baseURL: BALANCER_URL });
  const page = await context.newPage();
  // Not the members page: its own entitlement check would leave an answer in one instance's cache.
  await page.goto("/notes");
  await fillProxyForm(page, { email: "rolling@example.com", firstName: "Roll", lastName: "Ing" }, BALANCER_URL);
  await waitForHydration(page);
  // nginx left the restarted instance out for a while after its crash (fail_timeout): until it is back in turn.
  await expect
    .poll(async () => {
      await page.request.get("/api/accounts/me/");
      return work(first).length;
    }, { timeout: 15_000 })
    .toBeGreaterThan(0);

  // Six entitlement checks at once (Chromium's connections per site), some on each instance, with an access
  // token just refreshed; each waits 3 s on the billing API.
  billing.holdMs = 3_000;
  await page.waitForResponse((r) => r.url().includes("refresh_session") && r.status() === 200);
  const inFlight = page.evaluate(() =>
    Promise.all(
      // Distinct URLs: Chromium holds back a request for a URL already being fetched until that one's answer.
      Array.from({ length: 6 }, (_, i) =>
        fetch(`/api/accounts/billing/entitlements/?n=${i}`).then(async (r) => ({ status: r.status, body: await r.json() })),
      ),
    ),
  );
  // Both instances are waiting on the billing API (one call each: concurrent checks for a user share one).
  await expect.poll(() => billing.holding, { timeout: 2_000 }).toBe(2);
  const [servedByFirst, servedBySecond] = [first.served().length, second.served().length];
  const stopped = first.stop("SIGTERM");

  const answers = await inFlight;
  billing.holdMs = 0;
  for (const answer of answers) {
    expect(answer.status).toBe(200);
    expect(answer.body.entitlements?.[0]?.allowed, JSON.stringify(answer.body)).toBe(true);
    expect(String(answer.body.cache?.version), "Vector's answer, not a fallback").not.toMatch(/^fallback-/);
  }
  expect(await stopped, "a clean exit once its requests were answered").toBe(0);
  const checks = (lines: { path: string; status: number }[]) =>
    lines.filter((line) => line.path === "/api/accounts/billing/entitlements/" && line.status === 200).length;
  const finishedByFirst = checks(first.served().slice(servedByFirst));
  expect(finishedByFirst, "the stopping instance answered its share").toBeGreaterThanOrEqual(1);
  expect(finishedByFirst + checks(second.served().slice(servedBySecond))).toBe(6);

  // New requests while one instance is down: every one answered by the other.
  const me = () => second.served().filter((line) => line.path === "/api/accounts/me/").length;
  const before = me();
  for (let i = 0; i < 10; i++) {
    expect((await page.request.get("/api/accounts/me/")).status()).toBe(200);
  }
  expect(me() - before).toBe(10);
  await context.close();
});
