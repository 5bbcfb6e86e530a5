import { useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router-dom";

import { errorMessage } from "../api/base";
import {
  useBookMutation,
  useCreateSlotMutation,
  useOpenConversationMutation,
  usePropertyQuery,
  useRequestRentalMutation,
  useSlotsQuery,
} from "../api/rentezy";
import type { Slot } from "../api/types";
import { useAppSelector } from "../app/hooks";
import { Empty, ErrorMessage, Loading } from "../components/Status";
import { usePageTitle } from "../components/usePageTitle";

const when = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });

export function PropertyPage() {
  const { id = "" } = useParams();
  const { data: property, error, isLoading } = usePropertyQuery(id);
  const [photo, setPhoto] = useState(0);
  usePageTitle(property?.title ?? "Property");

  if (isLoading) return <Loading label="Loading the property…" />;
  if (error || !property) return <ErrorMessage error={error} />;
  const images = property.images ?? [];

  return (
    <article className="space-y-6">
      <header>
        <p className="text-sm text-slate-600">
          <Link to="/" className="underline">
            Search
          </Link>{" "}
          / {property.city}
        </p>
        <h1 className="mt-1 text-3xl font-bold">{property.title}</h1>
        <p className="mt-1 text-lg font-semibold text-brand-700">
          {property.monthly_rent} {property.currency} <span className="text-sm font-normal text-slate-600">/ month · deposit {property.deposit} {property.currency}</span>
        </p>
      </header>

      <section aria-label="Photos" className="space-y-2">
        {images.length > 0 ? (
          <>
            <img src={images[photo]?.url} alt={`Photo ${photo + 1} of ${images.length} of ${property.title}`} className="max-h-[28rem] w-full rounded-xl object-cover" />
            {images.length > 1 && (
              <div className="flex gap-2 overflow-x-auto">
                {images.map((image, index) => (
                  <button key={image.id} type="button" aria-label={`Show photo ${index + 1}`} aria-pressed={index === photo} onClick={() => setPhoto(index)} className={`shrink-0 rounded-md ring-offset-2 ${index === photo ? "ring-2 ring-brand-500" : ""}`}>
                    <img src={image.thumbnail_url} alt="" className="h-16 w-24 rounded-md object-cover" />
                  </button>
                ))}
              </div>
            )}
          </>
        ) : (
          <div className="flex h-48 items-center justify-center rounded-xl bg-slate-100 text-slate-600">No photos yet</div>
        )}
      </section>

      <div className="grid gap-6 lg:grid-cols-[1fr_22rem]">
        <section aria-labelledby="details" className="card space-y-4 p-6">
          <h2 id="details" className="text-lg font-semibold">
            Details
          </h2>
          <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-3">
            <Fact label="Type" value={property.property_type} />
            <Fact label="Bedrooms" value={String(property.bedrooms)} />
            <Fact label="Bathrooms" value={String(property.bathrooms)} />
            <Fact label="Area" value={property.area_sqft ? `${property.area_sqft} sq ft` : "—"} />
            <Fact label="Available from" value={property.available_from ?? "Now"} />
            <Fact label="Where" value={[property.city, property.state, property.country].filter(Boolean).join(", ")} />
          </dl>
          <p className="whitespace-pre-line text-slate-700">{property.description}</p>
          {property.amenities.length > 0 && (
            <ul className="flex flex-wrap gap-2" aria-label="Amenities">
              {property.amenities.map((amenity) => (
                <li key={amenity} className="rounded-full bg-brand-50 px-3 py-1 text-xs font-medium text-brand-700">
                  {amenity.replace(/_/g, " ")}
                </li>
              ))}
            </ul>
          )}
        </section>
        <div className="space-y-6">
          <Viewings propertyId={property.id} ownerId={property.owner_id} />
          <TenantActions propertyId={property.id} ownerId={property.owner_id} />
        </div>
      </div>
    </article>
  );
}

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt className="text-slate-600">{label}</dt>
      <dd className="font-medium capitalize">{value}</dd>
    </div>
  );
}

function Viewings({ propertyId, ownerId }: { propertyId: string; ownerId: string }) {
  const { data, error, isLoading } = useSlotsQuery(propertyId);
  const user = useAppSelector((state) => state.auth.user);
  const location = useLocation();
  const [book, booking] = useBookMutation();
  const [booked, setBooked] = useState<string | null>(null);

  async function reserve(slot: Slot) {
    try {
      await book({ slotId: slot.id, propertyId, idempotencyKey: crypto.randomUUID() }).unwrap();
      setBooked(slot.id);
    } catch {
      // shown below
    }
  }

  return (
    <section aria-labelledby="viewings" className="card h-fit space-y-3 p-6">
      <h2 id="viewings" className="text-lg font-semibold">
        Viewings
      </h2>
      {isLoading && <Loading label="Loading viewing times…" />}
      {error && <ErrorMessage error={error} />}
      {data && data.results.length === 0 && <Empty title="No viewing times yet" />}
      {booking.error && (
        <p role="alert" className="text-sm text-red-700">
          {errorMessage(booking.error)}
        </p>
      )}
      {booked && (
        <p role="status" className="rounded-md bg-green-50 p-3 text-sm text-green-800">
          Your viewing is booked. The landlord has been told.
        </p>
      )}
      <ul className="space-y-2">
        {data?.results.map((slot) => (
          <li key={slot.id} className="flex items-center justify-between gap-3 rounded-md border border-slate-200 p-3">
            <div className="text-sm">
              <p className="font-medium">{when.format(new Date(slot.starts_at))}</p>
              <p className="text-slate-600">
                {slot.available_slots} of {slot.capacity} places left
              </p>
            </div>
            {!user ? (
              <Link to="/login" state={{ from: location.pathname }} className="btn-secondary">
                Sign in to book
              </Link>
            ) : user.role === "tenant" && user.id !== ownerId ? (
              <button type="button" className="btn-primary" disabled={slot.available_slots === 0 || booking.isLoading || booked === slot.id} onClick={() => reserve(slot)}>
                {booked === slot.id ? "Booked" : slot.available_slots === 0 ? "Full" : "Book"}
              </button>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A tenant messages the landlord or asks to rent; the owner opens viewing slots. */
function TenantActions({ propertyId, ownerId }: { propertyId: string; ownerId: string }) {
  const user = useAppSelector((state) => state.auth.user);
  const navigate = useNavigate();
  const [openConversation, opening] = useOpenConversationMutation();
  const [requestRental, requesting] = useRequestRentalMutation();
  const [createSlot, creating] = useCreateSlotMutation();
  const [dates, setDates] = useState({ start_date: "", end_date: "" });
  const [slot, setSlot] = useState({ starts_at: "", minutes: "30", capacity: "5" });
  const [done, setDone] = useState<string | null>(null);

  if (!user) return null;
  if (user.id === ownerId) {
    return (
      <section aria-labelledby="new-slot" className="card space-y-3 p-6">
        <h2 id="new-slot" className="text-lg font-semibold">
          Open a viewing slot
        </h2>
        <form
          className="space-y-3"
          onSubmit={async (event) => {
            event.preventDefault();
            const starts = new Date(slot.starts_at);
            const ends = new Date(starts.getTime() + Number(slot.minutes) * 60_000);
            try {
              await createSlot({ property_id: propertyId, starts_at: starts.toISOString(), ends_at: ends.toISOString(), capacity: Number(slot.capacity) }).unwrap();
              setDone("Viewing slot opened.");
            } catch {
              // shown below
            }
          }}
        >
          <div>
            <label htmlFor="slot-start" className="label">
              Starts
            </label>
            <input id="slot-start" type="datetime-local" required className="field" value={slot.starts_at} onChange={(e) => setSlot({ ...slot, starts_at: e.target.value })} />
          </div>
          <div className="grid grid-cols-2 gap-3">
            <div>
              <label htmlFor="slot-minutes" className="label">
                Minutes
              </label>
              <input id="slot-minutes" inputMode="numeric" className="field" value={slot.minutes} onChange={(e) => setSlot({ ...slot, minutes: e.target.value })} />
            </div>
            <div>
              <label htmlFor="slot-capacity" className="label">
                Places
              </label>
              <input id="slot-capacity" inputMode="numeric" className="field" value={slot.capacity} onChange={(e) => setSlot({ ...slot, capacity: e.target.value })} />
            </div>
          </div>
          <button type="submit" className="btn-primary" disabled={creating.isLoading || !slot.starts_at}>
            Open slot
          </button>
          {creating.error && <p role="alert" className="text-sm text-red-700">{errorMessage(creating.error)}</p>}
          {done && <p role="status" className="text-sm text-green-800">{done}</p>}
        </form>
      </section>
    );
  }
  if (user.role !== "tenant") return null;
  return (
    <section aria-labelledby="rent-it" className="card space-y-4 p-6">
      <h2 id="rent-it" className="text-lg font-semibold">
        Interested?
      </h2>
      <button
        type="button"
        className="btn-secondary w-full"
        disabled={opening.isLoading}
        onClick={async () => {
          try {
            const conversation = await openConversation({ participant_id: ownerId, property_id: propertyId }).unwrap();
            navigate(`/chat/${conversation.id}`);
          } catch {
            // shown below
          }
        }}
      >
        Message the landlord
      </button>
      {opening.error && <p role="alert" className="text-sm text-red-700">{errorMessage(opening.error)}</p>}
      <form
        className="space-y-3"
        onSubmit={async (event) => {
          event.preventDefault();
          try {
            await requestRental({ property_id: propertyId, ...dates }).unwrap();
            setDone("Request sent. The landlord will answer within 72 hours.");
          } catch {
            // shown below
          }
        }}
      >
        <div className="grid grid-cols-2 gap-3">
          <div>
            <label htmlFor="move-in" className="label">
              Move in
            </label>
            <input id="move-in" type="date" required className="field" value={dates.start_date} onChange={(e) => setDates({ ...dates, start_date: e.target.value })} />
          </div>
          <div>
            <label htmlFor="move-out" className="label">
              Move out
            </label>
            <input id="move-out" type="date" required className="field" value={dates.end_date} onChange={(e) => setDates({ ...dates, end_date: e.target.value })} />
          </div>
        </div>
        <button type="submit" className="btn-primary w-full" disabled={requesting.isLoading || !dates.start_date || !dates.end_date}>
          Request to rent
        </button>
        {requesting.error && <p role="alert" className="text-sm text-red-700">{errorMessage(requesting.error)}</p>}
        {done && <p role="status" className="text-sm text-green-800">{done}</p>}
      </form>
    </section>
  );
}
