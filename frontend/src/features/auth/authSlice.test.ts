import { describe, expect, it } from "vitest";

import { authReducer, loadSession, saveSession, signedIn, signedOut, tokensRefreshed } from "./authSlice";

const user = { id: "u1", email: "a@example.com", full_name: "A", role: "tenant" as const };

describe("the session", () => {
  it("is kept across reloads and forgotten on sign-out", () => {
    const signed = authReducer(undefined, signedIn({ access: "a1", refresh: "r1", user }));
    saveSession(signed);
    expect(loadSession()).toEqual({ access: "a1", refresh: "r1", user });

    const rotated = authReducer(signed, tokensRefreshed({ access: "a2", refresh: "r2" }));
    expect(rotated).toEqual({ access: "a2", refresh: "r2", user });

    const out = authReducer(rotated, signedOut());
    saveSession(out);
    expect(out).toEqual({ access: null, refresh: null, user: null });
    expect(loadSession()).toEqual(out);
  });

  it("treats a corrupt or partial saved session as signed out", () => {
    for (const saved of ["{not json", JSON.stringify({ access: 1 }), JSON.stringify(null)]) {
      localStorage.setItem("rentezy.session", saved);
      expect(loadSession().access).toBeNull();
    }
  });
});
