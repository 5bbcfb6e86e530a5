import { createApi } from "@reduxjs/toolkit/query/react";

import { baseQueryWithReauth } from "./base";
import type {
  Booking,
  LoginInput,
  LoginResponse,
  Me,
  Paginated,
  Property,
  RegisterInput,
  SearchPage,
  SearchParams,
  Slot,
} from "./types";

/** Every call the web app makes, through the gateway (`/api/...`). */
export const rentezyApi = createApi({
  reducerPath: "api",
  baseQuery: baseQueryWithReauth,
  tagTypes: ["Me", "Slots", "Bookings"],
  endpoints: (build) => ({
    login: build.mutation<LoginResponse, LoginInput>({
      query: (body) => ({ url: "/api/auth/login", method: "POST", body }),
    }),
    register: build.mutation<Me, RegisterInput>({
      query: (body) => ({ url: "/api/auth/register", method: "POST", body }),
    }),
    logout: build.mutation<void, { refresh: string }>({
      query: (body) => ({ url: "/api/auth/logout", method: "POST", body }),
    }),
    me: build.query<Me, void>({
      query: () => "/api/auth/me",
      providesTags: ["Me"],
    }),
    searchProperties: build.query<SearchPage, SearchParams>({
      query: (params) => ({ url: "/api/search/properties", params }),
    }),
    property: build.query<Property, string>({
      query: (id) => `/api/properties/${encodeURIComponent(id)}`,
    }),
    slots: build.query<Paginated<Slot>, string>({
      query: (propertyId) => ({ url: "/api/bookings/slots", params: { property_id: propertyId } }),
      providesTags: (_result, _error, propertyId) => [{ type: "Slots", id: propertyId }],
    }),
    book: build.mutation<Booking, { slotId: string; propertyId: string; idempotencyKey: string }>({
      query: ({ slotId, idempotencyKey }) => ({
        url: "/api/bookings",
        method: "POST",
        body: { slot_id: slotId },
        headers: { "Idempotency-Key": idempotencyKey },
      }),
      invalidatesTags: (_result, _error, { propertyId }) => [
        { type: "Slots", id: propertyId },
        "Bookings",
      ],
    }),
  }),
});

export const {
  useLoginMutation,
  useRegisterMutation,
  useLogoutMutation,
  useMeQuery,
  useSearchPropertiesQuery,
  usePropertyQuery,
  useSlotsQuery,
  useBookMutation,
} = rentezyApi;
