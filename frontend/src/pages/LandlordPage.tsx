import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";

import { errorMessage } from "../api/base";
import {
  useArchivePropertyMutation,
  useCreatePropertyMutation,
  useMyPropertiesQuery,
  useUpdatePropertyMutation,
  useUploadImageMutation,
} from "../api/rentezy";
import type { Property, PropertyInput } from "../api/types";
import { Empty, ErrorMessage, Loading } from "../components/Status";
import { usePageTitle } from "../components/usePageTitle";

const TYPES = ["apartment", "house", "studio", "room", "condo", "townhouse"] as const;
const EMPTY = {
  title: "",
  description: "",
  property_type: "apartment",
  address_line1: "",
  city: "",
  country: "US",
  bedrooms: "1",
  bathrooms: "1",
  monthly_rent: "",
  deposit: "0.00",
};

/** A landlord's properties: create one (a draft), add photos, publish or archive. */
export function LandlordPage() {
  usePageTitle("My properties");
  const { data, error, isLoading, refetch } = useMyPropertiesQuery();
  const [form, setForm] = useState(EMPTY);
  const [create, creating] = useCreatePropertyMutation();
  const [created, setCreated] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      const property = await create({
        ...form,
        property_type: form.property_type as PropertyInput["property_type"],
        country: form.country as PropertyInput["country"],
        bedrooms: Number(form.bedrooms),
        bathrooms: Number(form.bathrooms),
        status: "draft",
      } as PropertyInput).unwrap();
      setCreated(property.id);
      setForm(EMPTY);
    } catch {
      // shown below
    }
  }

  const field = (name: keyof typeof EMPTY, label: string, props: Record<string, unknown> = {}) => (
    <div>
      <label htmlFor={`new-${name}`} className="label">
        {label}
      </label>
      <input id={`new-${name}`} className="field" value={form[name]} onChange={(e) => setForm({ ...form, [name]: e.target.value })} {...props} />
    </div>
  );

  return (
    <div className="space-y-8">
      <h1 className="text-2xl font-bold">My properties</h1>
      {isLoading && <Loading />}
      {error && <ErrorMessage error={error} onRetry={refetch} />}
      {data?.results.length === 0 && <Empty title="No properties yet">Create your first one below.</Empty>}
      <ul className="grid gap-4 md:grid-cols-2">
        {data?.results.map((p) => (
          <PropertyRow key={p.id} property={p} highlight={p.id === created} />
        ))}
      </ul>

      <section aria-labelledby="new-property" className="card p-6">
        <h2 id="new-property" className="mb-4 text-lg font-semibold">
          New property
        </h2>
        <form onSubmit={submit} className="grid gap-4 sm:grid-cols-2" noValidate>
          {creating.error && (
            <div className="sm:col-span-2">
              <ErrorMessage error={creating.error} />
            </div>
          )}
          {field("title", "Title")}
          <div>
            <label htmlFor="new-property_type" className="label">
              Type
            </label>
            <select id="new-property_type" className="field" value={form.property_type} onChange={(e) => setForm({ ...form, property_type: e.target.value })}>
              {TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </div>
          <div className="sm:col-span-2">
            <label htmlFor="new-description" className="label">
              Description
            </label>
            <textarea id="new-description" rows={3} className="field" value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} />
          </div>
          {field("address_line1", "Address")}
          {field("city", "City")}
          {field("country", "Country (code)", { maxLength: 2 })}
          {field("bedrooms", "Bedrooms", { inputMode: "numeric" })}
          {field("bathrooms", "Bathrooms", { inputMode: "decimal" })}
          {field("monthly_rent", "Monthly rent", { inputMode: "decimal", placeholder: "1450.00" })}
          {field("deposit", "Deposit", { inputMode: "decimal" })}
          <div className="sm:col-span-2">
            <button type="submit" className="btn-primary" disabled={creating.isLoading}>
              {creating.isLoading ? "Creating…" : "Create as draft"}
            </button>
          </div>
        </form>
      </section>
    </div>
  );
}

function PropertyRow({ property, highlight }: { property: Property; highlight: boolean }) {
  const [update, updating] = useUpdatePropertyMutation();
  const [upload, uploading] = useUploadImageMutation();
  const [archive, archiving] = useArchivePropertyMutation();
  const failure = updating.error ?? uploading.error ?? archiving.error;
  const listed = property.status === "listed";

  return (
    <li className={`card space-y-3 p-4 ${highlight ? "ring-2 ring-brand-500" : ""}`}>
      <div className="flex items-start gap-3">
        {property.thumbnail_url ? (
          <img src={property.thumbnail_url} alt="" className="h-16 w-20 rounded-md object-cover" />
        ) : (
          <div className="flex h-16 w-20 items-center justify-center rounded-md bg-slate-100 text-xs text-slate-600">No photo</div>
        )}
        <div className="min-w-0 flex-1">
          <Link to={`/properties/${property.id}`} className="font-semibold underline">
            {property.title}
          </Link>
          <p className="text-sm text-slate-600">
            {property.city} · {property.monthly_rent} {property.currency} · <span className="font-medium">{property.status}</span>
          </p>
        </div>
      </div>
      {failure && (
        <p role="alert" className="text-sm text-red-700">
          {errorMessage(failure)}
        </p>
      )}
      <div className="flex flex-wrap items-center gap-2">
        <label className="btn-secondary cursor-pointer">
          {uploading.isLoading ? "Uploading…" : "Add photo"}
          <input
            type="file"
            accept="image/jpeg,image/png,image/webp"
            className="sr-only"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) upload({ id: property.id, file });
              e.target.value = "";
            }}
          />
        </label>
        {property.status !== "archived" && (
          <button type="button" className={listed ? "btn-secondary" : "btn-primary"} onClick={() => update({ id: property.id, changes: { status: listed ? "draft" : "listed" } })}>
            {listed ? "Unpublish" : "Publish"}
          </button>
        )}
        {property.status !== "archived" && (
          <button type="button" className="btn-secondary" onClick={() => archive(property.id)}>
            Archive
          </button>
        )}
      </div>
    </li>
  );
}
