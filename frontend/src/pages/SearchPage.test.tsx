import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { renderPage, stubFetch } from "../test/render";
import { SearchPage, paramsFromUrl } from "./SearchPage";

const PAGE = {
  count: 2,
  next: null,
  previous: null,
  results: [
    { id: "p1", title: "Loft by the canal", city: "Lisbon", monthly_rent: "1450.00", currency: "EUR", bedrooms: 2, bathrooms: 1, property_type: "apartment", amenities: ["balcony"], thumbnail_url: "http://x/t1.webp", available_from: null, latitude: null, longitude: null },
    { id: "p2", title: "Garden studio", city: "Porto", monthly_rent: "900.00", currency: "EUR", bedrooms: 1, bathrooms: 1, property_type: "studio", amenities: [], thumbnail_url: null, available_from: null, latitude: null, longitude: null },
  ],
  facets: {
    city: [{ value: "Lisbon", count: 1 }, { value: "Porto", count: 1 }],
    property_type: [{ value: "apartment", count: 1 }, { value: "studio", count: 1 }],
    bedrooms: [{ value: 1, count: 1 }, { value: 2, count: 1 }],
    amenities: [{ value: "balcony", count: 1 }],
  },
};

describe("SearchPage", () => {
  it("shows result cards and facet counts, and keeps its filters in the URL", async () => {
    const calls = stubFetch(() => ({ status: 200, body: PAGE }));
    renderPage(<SearchPage />, { route: "/?city=Lisbon&sort=price_asc" });

    expect(await screen.findByRole("heading", { name: "2 homes" })).toBeInTheDocument();
    const cards = screen.getAllByRole("listitem");
    expect(within(cards[0]).getByRole("link")).toHaveAttribute("href", "/properties/p1");
    expect(within(cards[0]).getByText(/1450.00 EUR/)).toBeInTheDocument();
    expect(within(cards[1]).getByText("No photo yet")).toBeInTheDocument();
    expect(screen.getByRole("option", { name: "Porto (1)" })).toBeInTheDocument();
    expect(calls[0].url.searchParams.get("city")).toBe("Lisbon");
    expect(calls[0].url.searchParams.get("sort")).toBe("price_asc");

    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText("Type"), "studio");
    await user.click(screen.getByRole("checkbox", { name: /Balcony/ }));
    await user.type(screen.getByLabelText("Search"), "garden{enter}");
    await waitFor(() =>
      expect(screen.getByTestId("location")).toHaveTextContent(
        "/?city=Lisbon&sort=price_asc&property_type=studio&amenities=balcony&q=garden",
      ),
    );
    const last = calls.at(-1)!.url.searchParams;
    expect([last.get("q"), last.get("property_type"), last.get("amenities")]).toEqual(["garden", "studio", "balcony"]);
  });

  it("has an empty state and an error state with a retry", async () => {
    let fail = true;
    stubFetch(() =>
      fail ? { status: 400, body: { code: "invalid", message: "Check the filters.", fields: { min_rent: ["Enter an amount."] } } } : { status: 200, body: { ...PAGE, count: 0, results: [] } },
    );
    renderPage(<SearchPage />, { route: "/?min_rent=abc" });
    expect(await screen.findByRole("alert")).toHaveTextContent("Check the filters. min rent: Enter an amount.");
    fail = false;
    await userEvent.setup().click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByText("No homes match these filters")).toBeInTheDocument();
  });

  it("turns the URL into API parameters, numbers as numbers and blanks left out", () => {
    expect(paramsFromUrl(new URLSearchParams("q=&page=3&min_bedrooms=2&city=Porto&lat=41.15&lng=-8.61&radius_km=5"))).toEqual({
      page_size: 12, page: 3, min_bedrooms: 2, city: "Porto", lat: 41.15, lng: -8.61, radius_km: 5,
    });
  });

  it("searches near the user's location once they share it", async () => {
    const calls = stubFetch(() => ({ status: 200, body: PAGE }));
    vi.stubGlobal("navigator", {
      ...navigator,
      geolocation: { getCurrentPosition: (ok: (p: { coords: { latitude: number; longitude: number } }) => void) => ok({ coords: { latitude: 41.1579, longitude: -8.6291 } }) },
    });
    renderPage(<SearchPage />, { route: "/" });
    await screen.findByRole("heading", { name: "2 homes" });
    await userEvent.setup().click(screen.getByRole("button", { name: "Use my location" }));
    await waitFor(() => expect(calls.at(-1)!.url.searchParams.get("radius_km")).toBe("10"));
    expect([calls.at(-1)!.url.searchParams.get("lat"), calls.at(-1)!.url.searchParams.get("lng")]).toEqual(["41.1579", "-8.6291"]);
    expect(screen.getByRole("combobox", { name: "Distance" })).toHaveValue("10");
  });
});
