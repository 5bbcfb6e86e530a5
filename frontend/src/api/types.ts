// Types of the API, generated from the gateway's merged OpenAPI schema
// (src/api/schema.d.ts, `make api-types`): never written by hand.
import type { components, operations } from "./schema";

type Schemas = components["schemas"];

export type ApiError = Schemas["Error"];
export type Me = Schemas["MeOutput"];
export type LoginInput = Schemas["LoginInputRequest"];
export type LoginResponse = Schemas["LoginOutput"];
export type RegisterInput = Schemas["RegisterInputRequest"];
export type SearchPage = Schemas["SearchPage"];
export type SearchHit = SearchPage["results"][number];
export type SearchParams = NonNullable<operations["search_properties_retrieve"]["parameters"]["query"]>;
export type Property = Schemas["PropertyOutput"];
export type PropertyInput = Schemas["PropertyInputRequest"];
export type PropertyImage = Schemas["PropertyImageCreated"];
export type Slot = Schemas["SlotOutput"];
export type SlotInput = Schemas["SlotInputRequest"];
export type Booking = Schemas["BookingOutput"];
export type Reservation = Schemas["ReservationOutput"];
export type ReservationInput = Schemas["ReservationInputRequest"];
export type Notification = Schemas["NotificationOutput"];
export type Conversation = Schemas["ConversationOutput"];
export type Message = Schemas["MessageOutput"];
export type Lease = Schemas["LeaseOutput"];
export type Invoice = Schemas["InvoiceOutput"];
export type PaymentMethod = Schemas["PaymentMethodOutput"];
export type Payment = Schemas["PaymentOutput"];
export type PayResult = Schemas["PayOutput"];
export type CardSetup = Schemas["CardSetupOutput"];
export type RentRoll = Schemas["RentRollOutput"];
export type Preferences = Schemas["Preferences"];
export type MeUpdate = Schemas["PatchedMeUpdateRequest"];
export type Paginated<T> = { count: number; next: string | null; previous: string | null; results: T[] };
export type CursorPage<T> = { next: string | null; previous: string | null; results: T[] };
