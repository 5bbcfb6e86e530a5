import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { Provider } from "react-redux";
import { MemoryRouter, Route, Routes, useLocation } from "react-router-dom";
import { vi } from "vitest";

import { makeStore } from "../app/store";
import type { AuthState } from "../features/auth/authSlice";

export const SIGNED_OUT: AuthState = { access: null, refresh: null, user: null };

/** Where the app is now, for assertions on URL-synced state. */
export function LocationProbe() {
  const location = useLocation();
  return <span data-testid="location">{location.pathname + location.search}</span>;
}

export function renderPage(
  ui: ReactElement,
  { route = "/", path = "/", auth = SIGNED_OUT }: { route?: string; path?: string; auth?: AuthState } = {},
) {
  const store = makeStore({ auth });
  const result = render(
    <Provider store={store}>
      <MemoryRouter initialEntries={[route]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
        <Routes>
          <Route path={path} element={ui} />
          <Route path="*" element={<p>elsewhere</p>} />
        </Routes>
        <LocationProbe />
      </MemoryRouter>
    </Provider>,
  );
  return { store, ...result };
}

type Answer = { status: number; body?: unknown };

/**
 * A stand-in for `fetch` in component tests (the API is exercised for real by
 * the end-to-end tests): answers each request from `route(method, url, body, headers)`
 * and records every request.
 */
export function stubFetch(route: (method: string, url: URL, body: unknown, headers: Headers) => Answer) {
  const calls: { method: string; url: URL; body: unknown; headers: Headers }[] = [];
  const fetchStub = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const text = await request.clone().text();
    const body = text ? JSON.parse(text) : undefined;
    calls.push({ method: request.method, url, body, headers: request.headers });
    const answer = route(request.method, url, body, request.headers);
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { "Content-Type": "application/json" },
    });
  });
  vi.stubGlobal("fetch", fetchStub);
  return calls;
}
