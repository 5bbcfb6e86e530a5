import { createSlice, type PayloadAction } from "@reduxjs/toolkit";

export type SessionUser = { id: string; email: string; full_name: string; role: "tenant" | "landlord" };

export type AuthState = {
  access: string | null;
  refresh: string | null;
  user: SessionUser | null;
};

const STORAGE_KEY = "rentezy.session";

/** The session saved by the last login (tokens and who), if any. */
export function loadSession(storage: Pick<Storage, "getItem"> = localStorage): AuthState {
  try {
    const saved = JSON.parse(storage.getItem(STORAGE_KEY) ?? "null");
    if (saved && typeof saved.access === "string" && typeof saved.refresh === "string") {
      return { access: saved.access, refresh: saved.refresh, user: saved.user ?? null };
    }
  } catch {
    // A corrupt entry is a signed-out session.
  }
  return { access: null, refresh: null, user: null };
}

export function saveSession(state: AuthState, storage: Pick<Storage, "setItem" | "removeItem"> = localStorage) {
  if (state.access && state.refresh) {
    storage.setItem(STORAGE_KEY, JSON.stringify(state));
  } else {
    storage.removeItem(STORAGE_KEY);
  }
}

const authSlice = createSlice({
  name: "auth",
  initialState: (): AuthState => loadSession(),
  reducers: {
    signedIn(state, action: PayloadAction<{ access: string; refresh: string; user: SessionUser }>) {
      state.access = action.payload.access;
      state.refresh = action.payload.refresh;
      state.user = action.payload.user;
    },
    tokensRefreshed(state, action: PayloadAction<{ access: string; refresh: string }>) {
      state.access = action.payload.access;
      state.refresh = action.payload.refresh;
    },
    signedOut(state) {
      state.access = null;
      state.refresh = null;
      state.user = null;
    },
  },
});

export const { signedIn, tokensRefreshed, signedOut } = authSlice.actions;
export const authReducer = authSlice.reducer;
