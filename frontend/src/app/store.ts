import { configureStore } from "@reduxjs/toolkit";
import { setupListeners } from "@reduxjs/toolkit/query";

import { rentezyApi } from "../api/rentezy";
import { authReducer, saveSession, type AuthState } from "../features/auth/authSlice";

export function makeStore(preloaded?: { auth: AuthState }) {
  const store = configureStore({
    reducer: { auth: authReducer, [rentezyApi.reducerPath]: rentezyApi.reducer },
    middleware: (getDefault) => getDefault().concat(rentezyApi.middleware),
    preloadedState: preloaded,
  });
  let saved = store.getState().auth;
  store.subscribe(() => {
    const auth = store.getState().auth;
    if (auth !== saved) {
      saved = auth;
      saveSession(auth);
    }
  });
  setupListeners(store.dispatch);
  return store;
}

export type AppStore = ReturnType<typeof makeStore>;
export type RootState = ReturnType<AppStore["getState"]>;
export type AppDispatch = AppStore["dispatch"];
