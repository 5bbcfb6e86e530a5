import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";

import { useSearchPropertiesQuery } from "../api/rentezy";
import type { SearchHit, SearchParams } from "../api/types";
import { Empty, ErrorMessage, Loading } from "../components/Status";
import { usePageTitle } from "../components/usePageTitle";

const PAGE_SIZE = 12;
const SORTS = [
  ["relevance", "Best match"],
  ["price_asc", "Price: low to high"],
  ["price_desc", "Price: high to low"],
  ["newest", "Newest"],
] as const;
// The filters kept in the URL (so a search can be shared and reloaded).
const KEYS = ["q", "city", "property_type", "min_rent", "max_rent", "min_bedrooms", "amenities", "lat", "lng", "radius_km", "sort", "page"] as const;
const NUMBERS = ["page", "min_bedrooms", "lat", "lng", "radius_km"];

/** The API's parameters from the page's URL (empty values left out). */
export function paramsFromUrl(search: URLSearchParams): SearchParams {
  const params: Record<string, string | number> = { page_size: PAGE_SIZE };
  for (const key of KEYS) {
    const value = search.get(key);
    if (value) params[key] = NUMBERS.includes(key) ? Number(value) : value;
  }
  return params as SearchParams;
}

function label(value: string) {
  return value.replace(/_/g, " ").replace(/^\w/, (c) => c.toUpperCase());
}

export function SearchPage() {
  usePageTitle("Find a home");
  const [search, setSearch] = useSearchParams();
  const params = paramsFromUrl(search);
  const { data, error, isFetching, isLoading, refetch } = useSearchPropertiesQuery(params);
  const [text, setText] = useState(search.get("q") ?? "");

  function update(changes: Record<string, string | null>) {
    const next = new URLSearchParams(search);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    if (!("page" in changes)) next.delete("page");
    setSearch(next);
  }

  function submitText(event: FormEvent) {
    event.preventDefault();
    update({ q: text.trim() || null });
  }

  const amenities = (search.get("amenities") ?? "").split(",").filter(Boolean);
  function toggleAmenity(value: string) {
    const chosen = amenities.includes(value) ? amenities.filter((a) => a !== value) : [...amenities, value];
    update({ amenities: chosen.join(",") || null });
  }

  const [locating, setLocating] = useState<string | null>(null);
  function locateMe() {
    if (!navigator.geolocation) {
      setLocating("This browser cannot share its location.");
      return;
    }
    setLocating("Finding you…");
    navigator.geolocation.getCurrentPosition(
      (position) => {
        setLocating(null);
        update({
          lat: position.coords.latitude.toFixed(5),
          lng: position.coords.longitude.toFixed(5),
          radius_km: search.get("radius_km") ?? "10",
        });
      },
      () => setLocating("Your location is not available. Allow it, or search by city."),
    );
  }
  const near = search.get("lat") && search.get("lng");

  const page = Number(search.get("page") ?? "1");
  const pages = data ? Math.max(1, Math.ceil(data.count / PAGE_SIZE)) : 1;

  return (
    <div className="grid gap-6 lg:grid-cols-[16rem_1fr]">
      <aside aria-label="Filters" className="card h-fit space-y-5 p-4">
        <form onSubmit={submitText} role="search">
          <label htmlFor="q" className="label">
            Search
          </label>
          <div className="flex gap-2">
            <input id="q" className="field" placeholder="Loft, balcony, Lisbon…" value={text} onChange={(e) => setText(e.target.value)} />
            <button type="submit" className="btn-primary">
              Go
            </button>
          </div>
        </form>
        <div>
          <label htmlFor="city" className="label">
            City
          </label>
          <select id="city" className="field" value={search.get("city") ?? ""} onChange={(e) => update({ city: e.target.value || null })}>
            <option value="">Any city</option>
            {data?.facets.city.map((facet) => (
              <option key={facet.value} value={facet.value}>
                {facet.value} ({facet.count})
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="property_type" className="label">
            Type
          </label>
          <select id="property_type" className="field" value={search.get("property_type") ?? ""} onChange={(e) => update({ property_type: e.target.value || null })}>
            <option value="">Any type</option>
            {data?.facets.property_type.map((facet) => (
              <option key={facet.value} value={facet.value}>
                {label(facet.value)} ({facet.count})
              </option>
            ))}
          </select>
        </div>
        <fieldset className="grid grid-cols-2 gap-2">
          <legend className="label">Monthly rent</legend>
          <input aria-label="Minimum rent" inputMode="decimal" className="field" placeholder="Min" defaultValue={search.get("min_rent") ?? ""} onBlur={(e) => update({ min_rent: e.target.value.trim() || null })} />
          <input aria-label="Maximum rent" inputMode="decimal" className="field" placeholder="Max" defaultValue={search.get("max_rent") ?? ""} onBlur={(e) => update({ max_rent: e.target.value.trim() || null })} />
        </fieldset>
        <div>
          <label htmlFor="min_bedrooms" className="label">
            Bedrooms
          </label>
          <select id="min_bedrooms" className="field" value={search.get("min_bedrooms") ?? ""} onChange={(e) => update({ min_bedrooms: e.target.value || null })}>
            <option value="">Any</option>
            {[1, 2, 3, 4].map((n) => (
              <option key={n} value={n}>
                {n}+
              </option>
            ))}
          </select>
        </div>
        <fieldset>
          <legend className="label">Near</legend>
          {near ? (
            <div className="space-y-2">
              <label className="flex items-center gap-2 text-sm">
                Within
                <select aria-label="Distance" className="field w-auto" value={search.get("radius_km") ?? "10"} onChange={(e) => update({ radius_km: e.target.value })}>
                  {[2, 5, 10, 25, 50].map((km) => (
                    <option key={km} value={km}>
                      {km} km
                    </option>
                  ))}
                </select>
                of you
              </label>
              <button type="button" className="text-sm text-brand-700 underline" onClick={() => update({ lat: null, lng: null, radius_km: null })}>
                Anywhere
              </button>
            </div>
          ) : (
            <button type="button" className="btn-secondary w-full" onClick={locateMe}>
              Use my location
            </button>
          )}
          {locating && (
            <p role="status" className="mt-1 text-xs text-slate-600">
              {locating}
            </p>
          )}
        </fieldset>
        {data && data.facets.amenities.length > 0 && (
          <fieldset>
            <legend className="label">Amenities</legend>
            <div className="space-y-1">
              {data.facets.amenities.slice(0, 10).map((facet) => (
                <label key={facet.value} className="flex items-center gap-2 text-sm">
                  <input type="checkbox" checked={amenities.includes(facet.value)} onChange={() => toggleAmenity(facet.value)} />
                  {label(facet.value)} <span className="text-slate-600">({facet.count})</span>
                </label>
              ))}
            </div>
          </fieldset>
        )}
      </aside>

      <section aria-labelledby="results-title" aria-busy={isFetching}>
        <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
          <h1 id="results-title" className="text-2xl font-bold">
            {data ? `${data.count} ${data.count === 1 ? "home" : "homes"}` : "Homes"}
          </h1>
          <label className="flex items-center gap-2 text-sm">
            Sort
            <select className="field w-auto" value={search.get("sort") ?? "relevance"} onChange={(e) => update({ sort: e.target.value === "relevance" ? null : e.target.value })}>
              {SORTS.map(([value, text]) => (
                <option key={value} value={value}>
                  {text}
                </option>
              ))}
            </select>
          </label>
        </div>
        {isLoading && <Loading label="Finding homes…" />}
        {error && <ErrorMessage error={error} onRetry={refetch} />}
        {data && data.results.length === 0 && (
          <Empty title="No homes match these filters">Try fewer filters or another city.</Empty>
        )}
        {data && data.results.length > 0 && (
          <ul className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
            {data.results.map((hit) => (
              <ResultCard key={hit.id} hit={hit} />
            ))}
          </ul>
        )}
        {data && pages > 1 && (
          <nav aria-label="Pages" className="mt-6 flex items-center justify-center gap-3">
            <button type="button" className="btn-secondary" disabled={page <= 1} onClick={() => update({ page: String(page - 1) })}>
              Previous
            </button>
            <span className="text-sm text-slate-600">
              Page {page} of {pages}
            </span>
            <button type="button" className="btn-secondary" disabled={page >= pages} onClick={() => update({ page: String(page + 1) })}>
              Next
            </button>
          </nav>
        )}
      </section>
    </div>
  );
}

function ResultCard({ hit }: { hit: SearchHit }) {
  return (
    <li className="card overflow-hidden">
      <Link to={`/properties/${hit.id}`} className="block focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500">
        {hit.thumbnail_url ? (
          <img src={hit.thumbnail_url} alt="" className="aspect-[4/3] w-full object-cover" loading="lazy" />
        ) : (
          <div className="flex aspect-[4/3] items-center justify-center bg-slate-100 text-sm text-slate-600">No photo yet</div>
        )}
        <div className="space-y-1 p-4">
          <h2 className="font-semibold text-slate-900">{hit.title}</h2>
          <p className="text-sm text-slate-600">
            {hit.city} · {label(hit.property_type)} · {hit.bedrooms} {hit.bedrooms === 1 ? "bedroom" : "bedrooms"}
          </p>
          <p className="font-semibold text-brand-700">
            {hit.monthly_rent} {hit.currency}
            <span className="text-sm font-normal text-slate-600"> / month</span>
          </p>
        </div>
      </Link>
    </li>
  );
}
