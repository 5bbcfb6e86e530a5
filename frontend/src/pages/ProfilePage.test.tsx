import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { renderPage, stubFetch } from "../test/render";
import { ProfilePage } from "./ProfilePage";
import { ResetPasswordPage } from "./ResetPasswordPage";

const AUTH = { access: "a", refresh: "r", user: { id: "t", email: "t@example.com", full_name: "Tess", role: "tenant" as const } };

describe("ProfilePage", () => {
  it("edits the name, and turns an e-mail type off", async () => {
    let prefs = { "payment.failed": true, "message.received": true };
    const calls = stubFetch((method, url, body) => {
      if (url.pathname === "/api/auth/me") return { status: 200, body: { id: "t", email: "t@example.com", full_name: method === "PATCH" ? (body as { full_name: string }).full_name : "Tess", role: "tenant", phone: "" } };
      if (url.pathname === "/api/notifications/preferences") {
        if (method === "PATCH") prefs = { ...prefs, ...(body as { email: typeof prefs }).email };
        return { status: 200, body: { email: prefs } };
      }
      return { status: 404, body: { code: "not_found", message: "?" } };
    });
    renderPage(<ProfilePage />, { auth: AUTH });
    const user = userEvent.setup();
    const name = await screen.findByLabelText("Full name");
    await waitFor(() => expect(name).toHaveValue("Tess"));
    await user.clear(name);
    await user.type(name, "Tess Tenant");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("Saved.")).toBeInTheDocument();

    const box = await screen.findByRole("checkbox", { name: "Payment failed" });
    expect(box).toBeChecked();
    await user.click(box);
    await waitFor(() => expect(screen.getByRole("checkbox", { name: "Payment failed" })).not.toBeChecked());
    const patches = calls.filter((c) => c.method === "PATCH").map((c) => c.body);
    expect(patches).toEqual([{ full_name: "Tess Tenant", phone: "" }, { email: { "payment.failed": false } }]);
  });
});

describe("ResetPasswordPage", () => {
  it("asks for a link without a token, and sets the password with one", async () => {
    const calls = stubFetch((_method, url) => ({ status: url.pathname.endsWith("/confirm") ? 204 : 202 }));
    const user = userEvent.setup();
    const first = renderPage(<ResetPasswordPage />, { route: "/reset-password", path: "/reset-password" });
    await user.type(screen.getByLabelText("E-mail"), "t@example.com");
    await user.click(screen.getByRole("button", { name: "Send me a link" }));
    expect(await screen.findByRole("status")).toHaveTextContent("If an account uses t@example.com");
    first.unmount();

    renderPage(<ResetPasswordPage />, { route: "/reset-password?token=abc", path: "/reset-password" });
    await user.type(screen.getByLabelText("New password"), "a-much-better-password");
    await user.click(screen.getByRole("button", { name: "Set new password" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Your password was changed.");
    expect(calls.map((c) => c.body)).toEqual([{ email: "t@example.com" }, { token: "abc", new_password: "a-much-better-password" }]);
  });
});
