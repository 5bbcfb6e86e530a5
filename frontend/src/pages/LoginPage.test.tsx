import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { renderPage, stubFetch } from "../test/render";
import { LoginPage } from "./LoginPage";

const USER = { id: "u1", email: "tess@example.com", full_name: "Tess Tenant", role: "tenant" };

describe("LoginPage", () => {
  it("shows the API's error on wrong credentials and keeps the user signed out", async () => {
    stubFetch(() => ({ status: 401, body: { code: "invalid_credentials", message: "Wrong e-mail or password." } }));
    const { store } = renderPage(<LoginPage />, { route: "/login", path: "/login" });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("E-mail"), "tess@example.com");
    await user.type(screen.getByLabelText("Password"), "not-the-password");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong e-mail or password.");
    expect(store.getState().auth.access).toBeNull();
    expect(document.title).toBe("Sign in · RentEzy");
  });

  it("signs in, saves the session and goes back where the user was", async () => {
    const calls = stubFetch(() => ({ status: 200, body: { access: "a1", refresh: "r1", token_type: "Bearer", expires_in: 900, user: USER } }));
    const { store } = renderPage(<LoginPage />, { route: "/login", path: "/login" });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("E-mail"), "tess@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    await waitFor(() => expect(store.getState().auth.user).toEqual(USER));
    expect(calls[0].body).toEqual({ email: "tess@example.com", password: "correct horse battery" });
    expect(JSON.parse(localStorage.getItem("rentezy.session")!).access).toBe("a1");
    expect(screen.getByTestId("location")).toHaveTextContent("/");
  });
});
