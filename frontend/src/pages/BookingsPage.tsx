import { errorMessage } from "../api/base";
import {
  useBookingsQuery,
  useCancelBookingMutation,
  useDecideRentalMutation,
  useReservationsQuery,
} from "../api/rentezy";
import { useAppSelector } from "../app/hooks";
import { Empty, ErrorMessage, Loading } from "../components/Status";
import { usePageTitle } from "../components/usePageTitle";

const day = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

function Badge({ status }: { status: string }) {
  const colors: Record<string, string> = {
    confirmed: "bg-green-100 text-green-800",
    pending: "bg-amber-100 text-amber-800",
    cancelled: "bg-slate-200 text-slate-700",
    rejected: "bg-red-100 text-red-800",
    expired: "bg-slate-200 text-slate-700",
  };
  return <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${colors[status] ?? "bg-slate-100"}`}>{status}</span>;
}

/** Viewings and rental requests: a tenant's own, a landlord's on their properties. */
export function BookingsPage() {
  usePageTitle("Bookings");
  const role = useAppSelector((state) => state.auth.user?.role);
  const bookings = useBookingsQuery();
  const reservations = useReservationsQuery();
  const [cancelBooking, cancelling] = useCancelBookingMutation();
  const [decide, deciding] = useDecideRentalMutation();
  const failure = cancelling.error ?? deciding.error;

  return (
    <div className="space-y-8">
      <h1 className="text-2xl font-bold">{role === "landlord" ? "Bookings on my properties" : "My bookings"}</h1>
      {failure && (
        <p role="alert" className="rounded-md bg-red-50 p-3 text-sm text-red-800">
          {errorMessage(failure)}
        </p>
      )}
      <section aria-labelledby="viewings-title" className="space-y-3">
        <h2 id="viewings-title" className="text-lg font-semibold">
          Viewings
        </h2>
        {bookings.isLoading && <Loading />}
        {bookings.error && <ErrorMessage error={bookings.error} onRetry={bookings.refetch} />}
        {bookings.data?.results.length === 0 && <Empty title="No viewings booked" />}
        <ul className="space-y-2">
          {bookings.data?.results.map((b) => (
            <li key={b.id} className="card flex flex-wrap items-center justify-between gap-3 p-4 text-sm">
              <span>
                Viewing booked {day.format(new Date(b.created_at))} · <Badge status={b.status} />
              </span>
              {b.status === "confirmed" && (
                <button type="button" className="btn-secondary" onClick={() => cancelBooking(b.id)}>
                  Cancel viewing
                </button>
              )}
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="rentals-title" className="space-y-3">
        <h2 id="rentals-title" className="text-lg font-semibold">
          Rental requests
        </h2>
        {reservations.isLoading && <Loading />}
        {reservations.error && <ErrorMessage error={reservations.error} onRetry={reservations.refetch} />}
        {reservations.data?.results.length === 0 && <Empty title="No rental requests" />}
        <ul className="space-y-2">
          {reservations.data?.results.map((r) => (
            <li key={r.id} className="card flex flex-wrap items-center justify-between gap-3 p-4 text-sm">
              <span>
                {r.start_date} → {r.end_date} · <Badge status={r.status} />
              </span>
              {r.status === "pending" && (
                <span className="flex gap-2">
                  {role === "landlord" ? (
                    <>
                      <button type="button" className="btn-primary" onClick={() => decide({ id: r.id, action: "approve" })}>
                        Approve
                      </button>
                      <button type="button" className="btn-secondary" onClick={() => decide({ id: r.id, action: "reject" })}>
                        Reject
                      </button>
                    </>
                  ) : (
                    <button type="button" className="btn-secondary" onClick={() => decide({ id: r.id, action: "cancel" })}>
                      Cancel request
                    </button>
                  )}
                </span>
              )}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
