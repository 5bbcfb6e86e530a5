import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";

import { errorMessage } from "../api/base";
import {
  useArchivePropertyMutation,
  useCreatePropertyMutation,
  useMyPropertiesQuery,
  useReorderImagesMutation,
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
  const [reorder, reordering] = useReorderImagesMutation();
  const [editing, setEditing] = useState(false);
  const [chosen, setChosen] = useState<{ file: File; preview: string } | null>(null);
  const failure = updating.error ?? uploading.error ?? archiving.error ?? reordering.error;
  const listed = property.status === "listed";
  const images = property.images ?? [];

  function move(index: number, by: number) {
    const ids = images.map((image) => image.id);
    const [moved] = ids.splice(index, 1);
    ids.splice(index + by, 0, moved);
    reorder({ id: property.id, imageIds: ids });
  }

  async function sendPhoto() {
    if (!chosen) return;
    try {
      await upload({ id: property.id, file: chosen.file }).unwrap();
      URL.revokeObjectURL(chosen.preview);
      setChosen(null);
    } catch {
      // shown below
    }
  }

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
      {images.length > 1 && (
        <ol aria-label={`Photos of ${property.title}, in order`} className="flex flex-wrap gap-2">
          {images.map((image, index) => (
            <li key={image.id} className="flex flex-col items-center gap-1">
              <img src={image.thumbnail_url} alt={`Photo ${index + 1}${index === 0 ? " (cover)" : ""}`} className="h-12 w-16 rounded object-cover" />
              <span className="flex gap-1">
                <button type="button" className="rounded border px-1 text-xs disabled:opacity-40" aria-label={`Move photo ${index + 1} earlier`} disabled={index === 0 || reordering.isLoading} onClick={() => move(index, -1)}>
                  ←
                </button>
                <button type="button" className="rounded border px-1 text-xs disabled:opacity-40" aria-label={`Move photo ${index + 1} later`} disabled={index === images.length - 1 || reordering.isLoading} onClick={() => move(index, 1)}>
                  →
                </button>
              </span>
            </li>
          ))}
        </ol>
      )}
      {chosen && (
        <div className="flex items-center gap-3">
          <img src={chosen.preview} alt="The photo to upload" className="h-16 w-20 rounded-md object-cover" />
          <button type="button" className="btn-primary" disabled={uploading.isLoading} onClick={sendPhoto}>
            {uploading.isLoading ? "Uploading…" : "Upload photo"}
          </button>
          <button type="button" className="btn-secondary" onClick={() => setChosen(null)}>
            Cancel
          </button>
        </div>
      )}
      {failure && (
        <p role="alert" className="text-sm text-red-700">
          {errorMessage(failure)}
        </p>
      )}
      {editing && <EditForm property={property} onDone={() => setEditing(false)} />}
      <div className="flex flex-wrap items-center gap-2">
        {property.status !== "archived" && (
          <label className="btn-secondary cursor-pointer">
            Add photo
            <input
              type="file"
              accept="image/jpeg,image/png,image/webp"
              className="sr-only"
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) setChosen({ file, preview: URL.createObjectURL(file) });
                e.target.value = "";
              }}
            />
          </label>
        )}
        {property.status !== "archived" && (
          <button type="button" className="btn-secondary" onClick={() => setEditing(!editing)} aria-expanded={editing}>
            Edit
          </button>
        )}
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

function EditForm({ property, onDone }: { property: Property; onDone: () => void }) {
  const [update, updating] = useUpdatePropertyMutation();
  const [form, setForm] = useState({
    title: property.title,
    description: property.description ?? "",
    monthly_rent: property.monthly_rent,
    deposit: property.deposit,
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      await update({ id: property.id, changes: form }).unwrap();
      onDone();
    } catch {
      // shown below
    }
  }

  const prefix = `edit-${property.id}`;
  return (
    <form onSubmit={submit} className="space-y-3 rounded-md border border-slate-200 p-3" aria-label={`Edit ${property.title}`}>
      {updating.error && <ErrorMessage error={updating.error} />}
      <div>
        <label htmlFor={`${prefix}-title`} className="label">
          Title
        </label>
        <input id={`${prefix}-title`} className="field" value={form.title} onChange={(e) => setForm({ ...form, title: e.target.value })} />
      </div>
      <div>
        <label htmlFor={`${prefix}-description`} className="label">
          Description
        </label>
        <textarea id={`${prefix}-description`} rows={3} className="field" value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} />
      </div>
      <div className="grid grid-cols-2 gap-3">
        <div>
          <label htmlFor={`${prefix}-rent`} className="label">
            Monthly rent
          </label>
          <input id={`${prefix}-rent`} inputMode="decimal" className="field" value={form.monthly_rent} onChange={(e) => setForm({ ...form, monthly_rent: e.target.value })} />
        </div>
        <div>
          <label htmlFor={`${prefix}-deposit`} className="label">
            Deposit
          </label>
          <input id={`${prefix}-deposit`} inputMode="decimal" className="field" value={form.deposit} onChange={(e) => setForm({ ...form, deposit: e.target.value })} />
        </div>
      </div>
      <div className="flex gap-2">
        <button type="submit" className="btn-primary" disabled={updating.isLoading}>
          Save changes
        </button>
        <button type="button" className="btn-secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
