import { createRequire } from "node:module";

import { chromium, type Browser, type Page } from "playwright-core";
import { expect } from "vitest";

const require = createRequire(import.meta.url);
export const WEB_URL = process.env.WEB_URL ?? "http://127.0.0.1:5173";
export const SHOTS = process.env.SCREENSHOTS_DIR;

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
}

/** A page that fails the test on any console error or uncaught exception. */
export async function newPage(browser: Browser, errors: string[], viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, baseURL: WEB_URL });
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`${page.url()}: ${error.message}`));
  page.setDefaultTimeout(20_000);
  return page;
}

/** axe-core on the page as it is: no serious or critical violation. */
export async function expectAccessible(page: Page, what: string) {
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const violations = await page.evaluate(async () => {
    // @ts-expect-error axe is injected above
    const result = await window.axe.run(document, {
      // localstripe's Stripe.js stand-in renders bare inputs; the real Stripe.js
      // renders its card fields in its own accessible iframe.
      exclude: [["[data-testid=card-element]"]],
    });
    return result.violations
      .filter((v: { impact: string }) => v.impact === "serious" || v.impact === "critical")
      .map((v: { id: string; help: string; nodes: { target: string[] }[] }) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  });
  expect(violations, `accessibility of ${what}`).toEqual([]);
}

/** With SCREENSHOTS_DIR set (make screenshots): the page at desktop and at
 * phone width, as `<name>-desktop.png` and `<name>-phone.png`. */
export async function shot(page: Page, name: string) {
  if (!SHOTS) return;
  const size = page.viewportSize() ?? { width: 1280, height: 900 };
  await page.screenshot({ path: `${SHOTS}/${name}-desktop.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${SHOTS}/${name}-phone.png`, fullPage: true });
  await page.setViewportSize(size);
}

export function unique() {
  return Math.random().toString(36).slice(2, 8);
}

export function isoDate(daysAhead: number) {
  const day = new Date(Date.now() + daysAhead * 86_400_000);
  return day.toISOString().slice(0, 10);
}

export function localDateTime(daysAhead: number, hour: number) {
  const day = new Date(Date.now() + daysAhead * 86_400_000);
  day.setHours(hour, 0, 0, 0);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}T${pad(hour)}:00`;
}

export async function register(page: Page, role: "tenant" | "landlord", name: string) {
  await page.goto("/register");
  await page.getByLabel("Full name").fill(name);
  await page.getByLabel("E-mail").fill(`${role}-${unique()}@e2e.rentezy.test`);
  await page.getByLabel("Password").fill("correct-horse-battery-staple");
  await page.getByLabel(role === "tenant" ? /Tenant/ : /Landlord/).check();
  await page.getByRole("button", { name: "Create account" }).click();
  await expect.poll(() => page.getByTestId("signed-in-as").textContent(), { timeout: 20_000 }).toContain(name);
}
