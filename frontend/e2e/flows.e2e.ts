// The whole product in a real browser (headless Debian Chromium through
// playwright-core) against the real stack that tests/test_web_e2e.py runs:
// a landlord lists a property with a photo and opens a viewing slot; a
// tenant finds it by search and facets and books it (the landlord's bell
// updates live), chats with the landlord live, requests the rental; the
// landlord approves; the tenant saves a card through Elements (localstripe's
// Stripe.js), pays the first invoice and gets a receipt. Every page is
// checked with axe-core, and no page may log a console error.
import { fileURLToPath } from "node:url";

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";

import { expectAccessible, isoDate, launch, localDateTime, newPage, register, shot, unique } from "./helpers";

const PHOTO = fileURLToPath(new URL("./fixtures/flat.jpg", import.meta.url));
let browser: Browser;
const errors: string[] = [];

beforeAll(async () => {
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

it("lists, finds, books, chats, rents and pays, live and accessible", async () => {
  const word = `zq${unique()}`;
  const title = `Sunny loft ${word}`;
  const landlord = await newPage(browser, errors);
  const tenant = await newPage(browser, errors);
  try {
    await flow(word, title, landlord, tenant);
  } catch (failure) {
    // What each page showed, for the report.
    for (const [name, page] of [["landlord", landlord], ["tenant", tenant]] as const) {
      if (process.env.E2E_ARTIFACTS) await page.screenshot({ path: `${process.env.E2E_ARTIFACTS}/failed-${name}.png`, fullPage: true });
      console.error(`--- ${name} at ${page.url()}:\n${(await page.locator("main").innerText().catch(() => "")).slice(0, 1500)}`);
    }
    console.error(`--- console errors: ${JSON.stringify(errors)}`);
    throw failure;
  }
  expect(errors).toEqual([]);
});

async function flow(word: string, title: string, landlord: Page, tenant: Page) {
  // --- the landlord lists a property with a photo -------------------------------
  await register(landlord, "landlord", "Lee Landlord");
  await landlord.getByRole("link", { name: "My properties" }).click();
  await expect.poll(() => landlord.title()).toBe("My properties · RentEzy");
  await expectAccessible(landlord, "my properties");
  await landlord.getByLabel("Title", { exact: true }).fill(title);
  await landlord.getByLabel("Description").fill("Bright two-bedroom loft with a balcony over the river.");
  await landlord.getByLabel("Address").fill("Rua das Flores 12");
  await landlord.getByLabel("City").fill("Porto");
  await landlord.getByLabel("Country (code)").fill("PT");
  await landlord.getByLabel("Bedrooms").fill("2");
  await landlord.getByLabel("Monthly rent").fill("1450.00");
  await landlord.getByLabel("Deposit").fill("2900.00");
  await landlord.getByRole("button", { name: "Create as draft" }).click();
  const row = landlord.locator("li", { hasText: title });
  await row.waitFor();
  await row.locator("input[type=file]").setInputFiles(PHOTO);
  await row.getByRole("img", { name: "The photo to upload" }).waitFor();
  await row.getByRole("button", { name: "Upload photo" }).click();
  await expect.poll(() => row.getByRole("button", { name: "Upload photo" }).count(), { timeout: 30_000 }).toBe(0);
  await row.locator("img").first().waitFor();
  await row.getByRole("button", { name: "Publish" }).click();
  await expect.poll(() => row.textContent()).toContain("listed");
  await shot(landlord, "landlord-dashboard");

  // ... and opens a viewing slot on it.
  await row.getByRole("link", { name: title }).click();
  await landlord.getByLabel("Starts").fill(localDateTime(3, 18));
  // The booking service learns of the property from its event, a moment after
  // publishing: until then opening a slot says so, and trying again works.
  await expect
    .poll(
      async () => {
        if ((await landlord.getByText("Viewing slot opened.").count()) > 0) return true;
        await landlord.getByRole("button", { name: "Open slot" }).click();
        await landlord.waitForTimeout(700);
        return (await landlord.getByText("Viewing slot opened.").count()) > 0;
      },
      { timeout: 30_000, interval: 300 },
    )
    .toBe(true);
  await landlord.getByText(/5 of 5 places left/).waitFor();
  await expectAccessible(landlord, "the property page (owner)");

  // Nothing unread before the tenant books: the welcome (from rentezy.user,
  // consumed at its own pace) has arrived and is marked read.
  await landlord.getByRole("button", { name: /^Notifications/ }).click();
  await landlord.getByRole("dialog", { name: "Notifications" }).getByText("Welcome to RentEzy").waitFor({ timeout: 30_000 });
  await landlord.getByRole("button", { name: "Mark all read" }).click();
  await expect.poll(() => landlord.getByTestId("unread-badge").count()).toBe(0);
  await landlord.getByRole("button", { name: /^Notifications/ }).click();

  // --- the tenant finds it by search and facets, and books ----------------------
  await register(tenant, "tenant", "Tess Tenant");
  await tenant.goto("/");
  await tenant.getByLabel("Search").fill(word);
  await tenant.getByRole("button", { name: "Go" }).click();
  await expect
    .poll(async () => (await tenant.getByRole("link", { name: new RegExp(title) }).count()) > 0, { timeout: 30_000, interval: 500 })
    .toBe(true);
  await tenant.getByLabel("City").selectOption("Porto");
  await expect.poll(() => tenant.url()).toContain("city=Porto");
  await tenant.getByRole("heading", { name: "1 home" }).waitFor();
  await expectAccessible(tenant, "search");
  await shot(tenant, "search");
  await tenant.getByRole("link", { name: new RegExp(title) }).click();
  await tenant.getByRole("heading", { name: title }).waitFor();
  await tenant.getByRole("img", { name: /Photo 1 of 1/ }).waitFor();
  await tenant.getByRole("button", { name: "Book" }).click();
  await tenant.getByText("Your viewing is booked.").waitFor();
  await expectAccessible(tenant, "the property page (tenant)");
  await shot(tenant, "property");

  // The landlord's bell, live: no reload.
  await expect.poll(() => landlord.getByTestId("unread-badge").count(), { timeout: 15_000 }).toBe(1);
  expect(await landlord.getByTestId("unread-badge").textContent()).toBe("1");

  // --- they chat, live ----------------------------------------------------------------
  await tenant.getByRole("button", { name: "Message the landlord" }).click();
  await expect.poll(() => tenant.url()).toMatch(/\/chat\/[0-9a-f-]{36}$/);
  await tenant.getByLabel("Message").fill("Hello! Is the loft still available in spring?");
  await tenant.getByRole("button", { name: "Send" }).click();
  await tenant.getByRole("region", { name: "Conversation" }).getByText("Hello! Is the loft still available in spring?").waitFor();
  await landlord.getByRole("link", { name: "Messages", exact: true }).click();
  await landlord.getByRole("link", { name: /Tess Tenant/ }).click();
  await landlord.getByRole("region", { name: "Conversation" }).getByText("Hello! Is the loft still available in spring?").waitFor();
  await tenant.getByLabel("Message").fill("I booked a viewing for Thursday evening.");
  await tenant.getByRole("button", { name: "Send" }).click();
  await landlord.getByRole("region", { name: "Conversation" }).getByText("I booked a viewing for Thursday evening.").waitFor({ timeout: 10_000 });
  await landlord.getByLabel("Message").fill("Great, see you then!");
  await landlord.getByRole("button", { name: "Send" }).click();
  await tenant.getByRole("region", { name: "Conversation" }).getByText("Great, see you then!").waitFor({ timeout: 10_000 });
  await expectAccessible(tenant, "chat");
  await shot(landlord, "chat");

  // --- the tenant requests the rental; the landlord approves -----------------------
  await tenant.goBack();
  await tenant.getByRole("heading", { name: title }).waitFor();
  await tenant.getByLabel("Move in").fill(isoDate(20));
  await tenant.getByLabel("Move out").fill(isoDate(20 + 365));
  await tenant.getByRole("button", { name: "Request to rent" }).click();
  await tenant.getByText(/Request sent/).waitFor();

  await landlord.getByRole("link", { name: "Bookings", exact: true }).click();
  await landlord.getByRole("button", { name: "Approve" }).click();
  await landlord.getByText("confirmed", { exact: true }).first().waitFor();
  await expectAccessible(landlord, "bookings (landlord)");

  // --- the tenant pays the first invoice with a card saved through Elements --------
  await tenant.getByRole("link", { name: "Rent", exact: true }).click();
  await expect
    .poll(
      async () => {
        if ((await tenant.getByText("Balance").count()) > 0) return true;
        await tenant.reload();
        return false;
      },
      { timeout: 60_000, interval: 1000 },
    )
    .toBe(true);
  await tenant.getByRole("button", { name: "Add a card" }).click();
  const element = tenant.getByTestId("card-element");
  await element.locator("input[placeholder=number]").fill("4242424242424242");
  await element.locator("input[placeholder=exp_month]").fill("12");
  await element.locator("input[placeholder=exp_year]").fill("34");
  await element.locator("input[placeholder=cvc]").fill("123");
  await element.locator("input[placeholder=postal_code]").fill("10001");
  await tenant.getByRole("button", { name: "Save card" }).click();
  await tenant.getByText("•••• 4242").first().waitFor({ timeout: 20_000 });
  await tenant.getByRole("button", { name: /^Pay .* with •••• 4242$/ }).click();
  await tenant.getByText("Paid. Your receipt is below.").waitFor({ timeout: 30_000 });
  await tenant.getByRole("button", { name: "Download receipt (PDF)" }).waitFor();
  await expectAccessible(tenant, "rent");
  await shot(tenant, "rent");

  // The profile: e-mail preferences; and the landlord's rent roll.
  await tenant.getByTestId("signed-in-as").click();
  await tenant.getByRole("checkbox", { name: "Rent reminders" }).uncheck();
  await expect.poll(() => tenant.getByRole("checkbox", { name: "Rent reminders" }).isChecked()).toBe(false);
  await expectAccessible(tenant, "profile");
  await landlord.getByRole("link", { name: "Rent", exact: true }).click();
  await landlord.getByRole("heading", { name: "Rent roll" }).waitFor();
  await expectAccessible(landlord, "rent (landlord)");

  // A phone-sized look at the same pages.
  await tenant.setViewportSize({ width: 390, height: 844 });
  await tenant.goto("/");
  await tenant.getByRole("heading", { name: /home/ }).waitFor();
  await expectAccessible(tenant, "search (phone)");
}
