import { createApi } from "@reduxjs/toolkit/query/react";

import { baseQueryWithReauth } from "./base";
import type {
  Booking,
  CardSetup,
  Conversation,
  CursorPage,
  Invoice,
  Lease,
  LoginInput,
  LoginResponse,
  Me,
  MeUpdate,
  Message,
  Notification,
  Paginated,
  PayResult,
  Payment,
  PaymentMethod,
  Preferences,
  Property,
  PropertyImage,
  PropertyInput,
  RegisterInput,
  RentRoll,
  Reservation,
  ReservationInput,
  SearchPage,
  SearchParams,
  Slot,
  SlotInput,
} from "./types";

const id = encodeURIComponent;

/** Every call the web app makes, through the gateway (`/api/...`). */
export const rentezyApi = createApi({
  reducerPath: "api",
  baseQuery: baseQueryWithReauth,
  tagTypes: [
    "Me", "Slots", "Bookings", "Reservations", "MyProperties", "Property", "Notifications",
    "Conversations", "Messages", "Leases", "Invoices", "Cards", "Payments", "Preferences",
  ],
  endpoints: (build) => ({
    // --- auth ---
    login: build.mutation<LoginResponse, LoginInput>({
      query: (body) => ({ url: "/api/auth/login", method: "POST", body }),
    }),
    register: build.mutation<Me, RegisterInput>({
      query: (body) => ({ url: "/api/auth/register", method: "POST", body }),
    }),
    logout: build.mutation<void, { refresh: string }>({
      query: (body) => ({ url: "/api/auth/logout", method: "POST", body }),
    }),
    me: build.query<Me, void>({ query: () => "/api/auth/me", providesTags: ["Me"] }),
    updateMe: build.mutation<Me, MeUpdate>({
      query: (body) => ({ url: "/api/auth/me", method: "PATCH", body }),
      invalidatesTags: ["Me"],
    }),
    changePassword: build.mutation<void, { old_password: string; new_password: string }>({
      query: (body) => ({ url: "/api/auth/password/change", method: "POST", body }),
    }),
    requestReset: build.mutation<void, { email: string }>({
      query: (body) => ({ url: "/api/auth/password/reset", method: "POST", body }),
    }),
    confirmReset: build.mutation<void, { token: string; new_password: string }>({
      query: (body) => ({ url: "/api/auth/password/reset/confirm", method: "POST", body }),
    }),
    preferences: build.query<Preferences, void>({
      query: () => "/api/notifications/preferences",
      providesTags: ["Preferences"],
    }),
    updatePreferences: build.mutation<Preferences, Preferences>({
      query: (body) => ({ url: "/api/notifications/preferences", method: "PATCH", body }),
      invalidatesTags: ["Preferences"],
    }),

    // --- search and properties ---
    searchProperties: build.query<SearchPage, SearchParams>({
      query: (params) => ({ url: "/api/search/properties", params }),
    }),
    property: build.query<Property, string>({
      query: (propertyId) => `/api/properties/${id(propertyId)}`,
      providesTags: (_r, _e, propertyId) => [{ type: "Property", id: propertyId }],
    }),
    myProperties: build.query<Paginated<Property>, void>({
      query: () => ({ url: "/api/properties", params: { owner: "me", page_size: 100 } }),
      providesTags: ["MyProperties"],
    }),
    createProperty: build.mutation<Property, PropertyInput>({
      query: (body) => ({ url: "/api/properties", method: "POST", body }),
      invalidatesTags: ["MyProperties"],
    }),
    updateProperty: build.mutation<Property, { id: string; changes: Partial<PropertyInput> }>({
      query: ({ id: propertyId, changes }) => ({ url: `/api/properties/${id(propertyId)}`, method: "PATCH", body: changes }),
      invalidatesTags: (_r, _e, { id: propertyId }) => ["MyProperties", { type: "Property", id: propertyId }],
    }),
    archiveProperty: build.mutation<void, string>({
      query: (propertyId) => ({ url: `/api/properties/${id(propertyId)}`, method: "DELETE" }),
      invalidatesTags: (_r, _e, propertyId) => ["MyProperties", { type: "Property", id: propertyId }],
    }),
    reorderImages: build.mutation<Property, { id: string; imageIds: string[] }>({
      query: ({ id: propertyId, imageIds }) => ({
        url: `/api/properties/${id(propertyId)}/images/order`,
        method: "PUT",
        body: { image_ids: imageIds },
      }),
      invalidatesTags: (_r, _e, { id: propertyId }) => ["MyProperties", { type: "Property", id: propertyId }],
    }),
    uploadImage: build.mutation<PropertyImage, { id: string; file: File }>({
      query: ({ id: propertyId, file }) => {
        const form = new FormData();
        form.append("image", file);
        return { url: `/api/properties/${id(propertyId)}/images`, method: "POST", body: form };
      },
      invalidatesTags: (_r, _e, { id: propertyId }) => ["MyProperties", { type: "Property", id: propertyId }],
    }),

    // --- viewings and rentals ---
    slots: build.query<Paginated<Slot>, string>({
      query: (propertyId) => ({ url: "/api/bookings/slots", params: { property_id: propertyId } }),
      providesTags: (_r, _e, propertyId) => [{ type: "Slots", id: propertyId }],
    }),
    createSlot: build.mutation<Slot, SlotInput>({
      query: (body) => ({ url: "/api/bookings/slots", method: "POST", body }),
      invalidatesTags: (_r, _e, { property_id }) => [{ type: "Slots", id: property_id }],
    }),
    book: build.mutation<Booking, { slotId: string; propertyId: string; idempotencyKey: string }>({
      query: ({ slotId, idempotencyKey }) => ({
        url: "/api/bookings",
        method: "POST",
        body: { slot_id: slotId },
        headers: { "Idempotency-Key": idempotencyKey },
      }),
      invalidatesTags: (_r, _e, { propertyId }) => [{ type: "Slots", id: propertyId }, "Bookings"],
    }),
    bookings: build.query<Paginated<Booking>, void>({
      query: () => ({ url: "/api/bookings", params: { page_size: 100 } }),
      providesTags: ["Bookings"],
    }),
    cancelBooking: build.mutation<Booking, string>({
      query: (bookingId) => ({ url: `/api/bookings/${id(bookingId)}/cancel`, method: "POST" }),
      invalidatesTags: ["Bookings", "Slots"],
    }),
    reservations: build.query<Paginated<Reservation>, void>({
      query: () => ({ url: "/api/bookings/rentals", params: { page_size: 100 } }),
      providesTags: ["Reservations"],
    }),
    requestRental: build.mutation<Reservation, ReservationInput>({
      query: (body) => ({ url: "/api/bookings/rentals", method: "POST", body }),
      invalidatesTags: ["Reservations"],
    }),
    decideRental: build.mutation<Reservation, { id: string; action: "approve" | "reject" | "cancel" }>({
      query: ({ id: reservationId, action }) => ({ url: `/api/bookings/rentals/${id(reservationId)}/${action}`, method: "POST" }),
      invalidatesTags: ["Reservations", "Leases"],
    }),

    // --- notifications ---
    notifications: build.query<Paginated<Notification>, void>({
      query: () => ({ url: "/api/notifications", params: { page_size: 20 } }),
      providesTags: ["Notifications"],
    }),
    unreadCount: build.query<{ unread_count: number }, void>({
      query: () => "/api/notifications/unread-count",
      providesTags: ["Notifications"],
    }),
    readNotification: build.mutation<Notification, string>({
      query: (notificationId) => ({ url: `/api/notifications/${id(notificationId)}/read`, method: "POST" }),
      invalidatesTags: ["Notifications"],
    }),
    readAllNotifications: build.mutation<{ marked: number }, void>({
      query: () => ({ url: "/api/notifications/read-all", method: "POST" }),
      invalidatesTags: ["Notifications"],
    }),

    // --- chat ---
    conversations: build.query<Paginated<Conversation>, void>({
      query: () => ({ url: "/api/chat/conversations", params: { page_size: 100 } }),
      providesTags: ["Conversations"],
    }),
    openConversation: build.mutation<Conversation, { participant_id: string; property_id?: string }>({
      query: (body) => ({ url: "/api/chat/conversations", method: "POST", body }),
      invalidatesTags: ["Conversations"],
    }),
    messages: build.query<CursorPage<Message>, string>({
      query: (conversationId) => `/api/chat/conversations/${id(conversationId)}/messages?page_size=50`,
      providesTags: (_r, _e, conversationId) => [{ type: "Messages", id: conversationId }],
    }),
    markRead: build.mutation<Conversation, { conversationId: string; upTo: string }>({
      query: ({ conversationId, upTo }) => ({ url: `/api/chat/conversations/${id(conversationId)}/read`, method: "POST", body: { up_to: upTo } }),
      invalidatesTags: ["Conversations"],
    }),

    // --- rent ---
    leases: build.query<Paginated<Lease>, void>({
      query: () => ({ url: "/api/rent/leases", params: { page_size: 100 } }),
      providesTags: ["Leases"],
    }),
    setAutopay: build.mutation<Lease, { id: string; autopay: boolean }>({
      query: ({ id: leaseId, autopay }) => ({ url: `/api/rent/leases/${id(leaseId)}`, method: "PATCH", body: { autopay } }),
      invalidatesTags: ["Leases"],
    }),
    invoices: build.query<Paginated<Invoice>, string | void>({
      query: (leaseId) => ({ url: "/api/rent/invoices", params: { page_size: 100, ...(leaseId ? { lease_id: leaseId } : {}) } }),
      providesTags: ["Invoices"],
    }),
    cards: build.query<Paginated<PaymentMethod>, void>({
      query: () => "/api/rent/payment-methods",
      providesTags: ["Cards"],
    }),
    cardSetup: build.mutation<CardSetup, void>({
      query: () => ({ url: "/api/rent/payment-methods/setup", method: "POST" }),
    }),
    saveCard: build.mutation<PaymentMethod, { payment_method_id: string }>({
      query: (body) => ({ url: "/api/rent/payment-methods", method: "POST", body }),
      invalidatesTags: ["Cards"],
    }),
    pay: build.mutation<PayResult, { invoiceId: string; paymentMethodId: string; idempotencyKey: string }>({
      query: ({ invoiceId, paymentMethodId, idempotencyKey }) => ({
        url: `/api/rent/invoices/${id(invoiceId)}/pay`,
        method: "POST",
        body: { payment_method_id: paymentMethodId },
        headers: { "Idempotency-Key": idempotencyKey },
      }),
      invalidatesTags: ["Invoices", "Payments"],
    }),
    rentRoll: build.query<RentRoll, string>({
      query: (month) => ({ url: "/api/rent/reports/rent-roll", params: { month } }),
      providesTags: ["Invoices"],
    }),
    payments: build.query<Paginated<Payment>, void>({
      query: () => ({ url: "/api/rent/payments", params: { page_size: 100 } }),
      providesTags: ["Payments"],
    }),
  }),
});

export const {
  useLoginMutation,
  useRegisterMutation,
  useLogoutMutation,
  useMeQuery,
  useUpdateMeMutation,
  useChangePasswordMutation,
  useRequestResetMutation,
  useConfirmResetMutation,
  usePreferencesQuery,
  useUpdatePreferencesMutation,
  useRentRollQuery,
  useSearchPropertiesQuery,
  usePropertyQuery,
  useMyPropertiesQuery,
  useCreatePropertyMutation,
  useUpdatePropertyMutation,
  useArchivePropertyMutation,
  useUploadImageMutation,
  useReorderImagesMutation,
  useSlotsQuery,
  useCreateSlotMutation,
  useBookMutation,
  useBookingsQuery,
  useCancelBookingMutation,
  useReservationsQuery,
  useRequestRentalMutation,
  useDecideRentalMutation,
  useNotificationsQuery,
  useUnreadCountQuery,
  useReadNotificationMutation,
  useReadAllNotificationsMutation,
  useConversationsQuery,
  useOpenConversationMutation,
  useMessagesQuery,
  useMarkReadMutation,
  useLeasesQuery,
  useSetAutopayMutation,
  useInvoicesQuery,
  useCardsQuery,
  useCardSetupMutation,
  useSaveCardMutation,
  usePayMutation,
  usePaymentsQuery,
} = rentezyApi;
