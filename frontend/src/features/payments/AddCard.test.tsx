import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { renderPage, stubFetch } from "../../test/render";
import { AddCard } from "./AddCard";

const confirmCardSetup = vi.fn();
const loaded: string[] = [];

vi.mock("./stripe", () => ({
  loadStripe: async (url: string) => {
    loaded.push(url);
    return (key: string) => ({
      key,
      elements: () => ({
        create: () => ({
          mount: (node: HTMLElement) => {
            node.innerHTML = '<input aria-label="Card number" />';
          },
          unmount: () => {},
        }),
      }),
      confirmCardSetup,
    });
  },
}));

const TENANT = { access: "a", refresh: "r", user: { id: "t", email: "t@example.com", full_name: "T", role: "tenant" as const } };

describe("AddCard", () => {
  it("confirms a SetupIntent with the card Element and saves the PaymentMethod", async () => {
    const calls = stubFetch((_method, url) => {
      if (url.pathname === "/api/rent/payment-methods/setup") {
        return { status: 201, body: { client_secret: "seti_1_secret_2", publishable_key: "pk_test_x", stripe_js_url: "http://stripe.test/v3/" } };
      }
      return { status: 201, body: { id: "c1", brand: "visa", last4: "4242", exp_month: 12, exp_year: 2034, created_at: "2027-01-01T00:00:00Z" } };
    });
    confirmCardSetup.mockResolvedValue({ setupIntent: { payment_method: "pm_123", status: "succeeded" }, error: null });
    const saved = vi.fn();
    renderPage(<AddCard onSaved={saved} />, { auth: TENANT });

    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Add a card" }));
    expect(await screen.findByLabelText("Card number")).toBeInTheDocument();
    expect(loaded).toEqual(["http://stripe.test/v3/"]);
    await user.click(screen.getByRole("button", { name: "Save card" }));

    await waitFor(() => expect(saved).toHaveBeenCalled());
    expect(confirmCardSetup.mock.calls[0][0]).toBe("seti_1_secret_2");
    expect(calls.at(-1)!.body).toEqual({ payment_method_id: "pm_123" });
  });

  it("shows Stripe's refusal and saves nothing", async () => {
    const calls = stubFetch(() => ({ status: 201, body: { client_secret: "seti_1_secret_2", publishable_key: "pk", stripe_js_url: "http://stripe.test/v3/" } }));
    confirmCardSetup.mockResolvedValue({ error: { message: "Your card was declined." } });
    renderPage(<AddCard />, { auth: TENANT });
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Add a card" }));
    await user.click(await screen.findByRole("button", { name: "Save card" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Your card was declined.");
    expect(calls.map((c) => c.url.pathname)).toEqual(["/api/rent/payment-methods/setup"]);
  });
});
