import { configureStore } from "@reduxjs/toolkit";
import { describe, expect, it } from "vitest";

import { authReducer, type AuthState } from "../features/auth/authSlice";
import { stubFetch } from "../test/render";
import { baseQueryWithReauth, errorMessage } from "./base";

function storeWith(auth: AuthState) {
  return configureStore({ reducer: { auth: authReducer }, preloadedState: { auth } });
}

function call(store: ReturnType<typeof storeWith>, url: string) {
  return baseQueryWithReauth(url, { getState: store.getState, dispatch: store.dispatch, signal: new AbortController().signal, abort: () => {}, extra: undefined, endpoint: "test", type: "query" }, {});
}

const user = { id: "u1", email: "a@example.com", full_name: "A", role: "tenant" as const };

describe("baseQueryWithReauth", () => {
  it("refreshes the token pair once on a 401 and retries with the new access token", async () => {
    const store = storeWith({ access: "old", refresh: "r1", user });
    const calls = stubFetch((_method, url, body, headers) => {
      if (url.pathname === "/api/auth/refresh") {
        expect(body).toEqual({ refresh: "r1" });
        return { status: 200, body: { access: "new", refresh: "r2" } };
      }
      return headers.get("Authorization") === "Bearer new"
        ? { status: 200, body: { ok: true } }
        : { status: 401, body: { code: "not_authenticated", message: "Expired." } };
    });
    const result = await call(store, "/api/bookings");
    expect(result.data).toEqual({ ok: true });
    expect(store.getState().auth).toEqual({ access: "new", refresh: "r2", user });
    expect(calls.map((c) => c.url.pathname)).toEqual(["/api/bookings", "/api/auth/refresh", "/api/bookings"]);
  });

  it("signs out when the refresh is refused, and leaves the 401", async () => {
    const store = storeWith({ access: "old", refresh: "reused", user });
    const calls = stubFetch((_method, url) =>
      url.pathname === "/api/auth/refresh"
        ? { status: 401, body: { code: "token_reused", message: "Sign in again." } }
        : { status: 401, body: { code: "not_authenticated", message: "Expired." } },
    );
    const result = await call(store, "/api/bookings");
    expect(result.error?.status).toBe(401);
    expect(store.getState().auth.access).toBeNull();
    expect(calls.map((c) => c.url.pathname)).toEqual(["/api/bookings", "/api/auth/refresh"]);
  });

  it("never refreshes for the auth endpoints themselves", async () => {
    const store = storeWith({ access: "old", refresh: "r1", user });
    const calls = stubFetch(() => ({ status: 401, body: { code: "invalid_credentials", message: "Wrong e-mail or password." } }));
    const result = await call(store, "/api/auth/login");
    expect(result.error?.status).toBe(401);
    expect(calls).toHaveLength(1);
    expect(store.getState().auth.access).toBe("old");
  });
});

describe("errorMessage", () => {
  it("shows the API's message, with field errors spelled out", () => {
    expect(errorMessage({ status: 400, data: { code: "invalid", message: "Check the form.", fields: { full_name: ["Required."] } } })).toBe("Check the form. full name: Required.");
    expect(errorMessage({ status: 409, data: { code: "slot_full", message: "Every place is taken." } })).toBe("Every place is taken.");
    expect(errorMessage({ status: "FETCH_ERROR", error: "TypeError" })).toMatch(/Cannot reach RentEzy/);
    expect(errorMessage({ status: 429, data: "" })).toMatch(/Too many requests/);
    expect(errorMessage(undefined)).toMatch(/Something went wrong/);
  });
});
