import {
  fetchBaseQuery,
  type BaseQueryFn,
  type FetchArgs,
  type FetchBaseQueryError,
} from "@reduxjs/toolkit/query/react";

import { signedOut, tokensRefreshed, type AuthState } from "../features/auth/authSlice";
import type { ApiError } from "./types";

type RootLike = { auth: AuthState };

const rawBaseQuery = fetchBaseQuery({
  // Same origin: the dev server and nginx proxy /api to the gateway.
  baseUrl: window.location.origin,
  prepareHeaders: (headers, { getState }) => {
    const access = (getState() as RootLike).auth.access;
    if (access && !headers.has("Authorization")) {
      headers.set("Authorization", `Bearer ${access}`);
    }
    return headers;
  },
});

// One refresh at a time: requests that fail together wait for the same one.
let refreshing: Promise<boolean> | null = null;

/**
 * The API's base query: the access token on every request, and on a 401 one
 * refresh of the token pair (rotated by auth_service) and one retry; a failed
 * refresh signs the user out.
 */
export const baseQueryWithReauth: BaseQueryFn<string | FetchArgs, unknown, FetchBaseQueryError> = async (
  args,
  api,
  extraOptions,
) => {
  let result = await rawBaseQuery(args, api, extraOptions);
  const url = typeof args === "string" ? args : args.url;
  if (result.error?.status !== 401 || url.startsWith("/api/auth/")) {
    return result;
  }
  const refresh = (api.getState() as RootLike).auth.refresh;
  if (!refresh) {
    return result;
  }
  if (!refreshing) {
    refreshing = (async () => {
      const answer = await rawBaseQuery(
        { url: "/api/auth/refresh", method: "POST", body: { refresh } },
        api,
        extraOptions,
      );
      if (answer.data) {
        api.dispatch(tokensRefreshed(answer.data as { access: string; refresh: string }));
        return true;
      }
      api.dispatch(signedOut());
      return false;
    })().finally(() => {
      refreshing = null;
    });
  }
  if (await refreshing) {
    result = await rawBaseQuery(args, api, extraOptions);
  }
  return result;
};

/** The one message shown for any failed request. */
export function errorMessage(error: unknown): string {
  if (!error || typeof error !== "object") return "Something went wrong. Please try again.";
  const failure = error as FetchBaseQueryError;
  if (failure.status === "FETCH_ERROR") return "Cannot reach RentEzy. Check your connection.";
  const body = "data" in failure ? (failure.data as Partial<ApiError> | undefined) : undefined;
  if (body && typeof body.message === "string") {
    const fields = body.fields as Record<string, string[]> | undefined;
    if (fields && Object.keys(fields).length > 0) {
      const details = Object.entries(fields)
        .map(([name, messages]) => `${name.replace(/_/g, " ")}: ${messages.join(" ")}`)
        .join(" · ");
      return `${body.message} ${details}`;
    }
    return body.message;
  }
  if (failure.status === 429) return "Too many requests. Please wait a moment.";
  return "Something went wrong. Please try again.";
}
