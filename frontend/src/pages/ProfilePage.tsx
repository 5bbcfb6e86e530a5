import { useEffect, useState, type FormEvent } from "react";

import {
  useChangePasswordMutation,
  useMeQuery,
  usePreferencesQuery,
  useUpdateMeMutation,
  useUpdatePreferencesMutation,
} from "../api/rentezy";
import { ErrorMessage, Loading } from "../components/Status";
import { usePageTitle } from "../components/usePageTitle";

const TYPE_LABELS: Record<string, string> = {
  "account.welcome": "Welcome",
  "booking.confirmed": "Viewing booked",
  "booking.cancelled": "Viewing cancelled",
  "rental.requested": "Rental requested",
  "rental.approved": "Rental approved",
  "rental.rejected": "Rental declined",
  "rental.cancelled": "Rental cancelled",
  "rental.expired": "Rental request expired",
  "invoice.issued": "Invoice issued",
  "payment.succeeded": "Payment received",
  "payment.failed": "Payment failed",
  "late_fee.applied": "Late fee added",
  "rent.reminder": "Rent reminders",
  "message.received": "New messages",
};

/** Profile details, password change and which notifications also come by e-mail. */
export function ProfilePage() {
  usePageTitle("Profile");
  return (
    <div className="mx-auto max-w-2xl space-y-8">
      <h1 className="text-2xl font-bold">Profile</h1>
      <Details />
      <Password />
      <EmailPreferences />
    </div>
  );
}

function Details() {
  const { data: me, error, isLoading } = useMeQuery();
  const [update, updating] = useUpdateMeMutation();
  const [form, setForm] = useState({ full_name: "", phone: "" });
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (me) setForm({ full_name: me.full_name, phone: me.phone ?? "" });
  }, [me]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    try {
      await update(form).unwrap();
      setSaved(true);
    } catch {
      // shown below
    }
  }

  return (
    <section aria-labelledby="details-title" className="card space-y-4 p-6">
      <h2 id="details-title" className="text-lg font-semibold">
        Your details
      </h2>
      {isLoading && <Loading />}
      {error && <ErrorMessage error={error} />}
      {me && (
        <form onSubmit={submit} className="space-y-4">
          <p className="text-sm text-slate-600">
            {me.email} · {me.role}
          </p>
          <div>
            <label htmlFor="profile-name" className="label">
              Full name
            </label>
            <input id="profile-name" className="field" autoComplete="name" value={form.full_name} onChange={(e) => setForm({ ...form, full_name: e.target.value })} />
          </div>
          <div>
            <label htmlFor="profile-phone" className="label">
              Phone
            </label>
            <input id="profile-phone" className="field" type="tel" autoComplete="tel" value={form.phone} onChange={(e) => setForm({ ...form, phone: e.target.value })} />
          </div>
          {updating.error && <ErrorMessage error={updating.error} />}
          {saved && <p role="status" className="text-sm text-green-800">Saved.</p>}
          <button type="submit" className="btn-primary" disabled={updating.isLoading}>
            Save
          </button>
        </form>
      )}
    </section>
  );
}

function Password() {
  const [change, changing] = useChangePasswordMutation();
  const [form, setForm] = useState({ old_password: "", new_password: "" });
  const [done, setDone] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setDone(false);
    try {
      await change(form).unwrap();
      setForm({ old_password: "", new_password: "" });
      setDone(true);
    } catch {
      // shown below
    }
  }

  return (
    <section aria-labelledby="password-title" className="card space-y-4 p-6">
      <h2 id="password-title" className="text-lg font-semibold">
        Change password
      </h2>
      <form onSubmit={submit} className="space-y-4">
        <div>
          <label htmlFor="old-password" className="label">
            Current password
          </label>
          <input id="old-password" type="password" autoComplete="current-password" className="field" value={form.old_password} onChange={(e) => setForm({ ...form, old_password: e.target.value })} />
        </div>
        <div>
          <label htmlFor="new-password" className="label">
            New password
          </label>
          <input id="new-password" type="password" autoComplete="new-password" className="field" value={form.new_password} onChange={(e) => setForm({ ...form, new_password: e.target.value })} />
        </div>
        {changing.error && <ErrorMessage error={changing.error} />}
        {done && (
          <p role="status" className="text-sm text-green-800">
            Password changed. Your other sessions were signed out.
          </p>
        )}
        <button type="submit" className="btn-primary" disabled={changing.isLoading || !form.old_password || !form.new_password}>
          Change password
        </button>
      </form>
    </section>
  );
}

function EmailPreferences() {
  const { data, error } = usePreferencesQuery();
  const [update, updating] = useUpdatePreferencesMutation();
  // Shown at once; put back if the change is refused.
  const [shown, setShown] = useState<Record<string, boolean> | null>(null);
  const current = shown ?? data?.email;

  async function toggle(type: string, on: boolean) {
    setShown({ ...(current ?? {}), [type]: on });
    try {
      const saved = await update({ email: { [type]: on } }).unwrap();
      setShown(saved.email);
    } catch {
      setShown(null);
    }
  }

  return (
    <section aria-labelledby="email-title" className="card space-y-4 p-6">
      <h2 id="email-title" className="text-lg font-semibold">
        E-mail me about
      </h2>
      {error && <ErrorMessage error={error} />}
      {updating.error && <ErrorMessage error={updating.error} />}
      {current && (
        <ul className="grid gap-2 sm:grid-cols-2">
          {Object.entries(current).map(([type, on]) => (
            <li key={type}>
              <label className="flex items-center gap-2 text-sm">
                <input type="checkbox" checked={on} onChange={(e) => toggle(type, e.target.checked)} />
                {TYPE_LABELS[type] ?? type}
              </label>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
