import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { renderPage, stubFetch } from "../test/render";
import { LandlordPage } from "./LandlordPage";

const AUTH = { access: "a", refresh: "r", user: { id: "l", email: "l@example.com", full_name: "Lee", role: "landlord" as const } };
const image = (id: string) => ({ id, url: `http://x/${id}.jpg`, thumbnail_url: `http://x/${id}-t.jpg` });
const PROPERTY = {
  id: "p1", owner_id: "l", title: "Loft", description: "", status: "listed", city: "Porto", monthly_rent: "1450.00",
  deposit: "0.00", currency: "EUR", thumbnail_url: "http://x/a-t.jpg", images: [image("a"), image("b")],
};

describe("LandlordPage", () => {
  it("moves a photo earlier (the new order goes to the API) and edits the rent", async () => {
    const calls = stubFetch((method, url) => {
      if (url.pathname === "/api/properties" && method === "GET") return { status: 200, body: { count: 1, next: null, previous: null, results: [PROPERTY] } };
      return { status: 200, body: PROPERTY };
    });
    renderPage(<LandlordPage />, { auth: AUTH });
    const user = userEvent.setup();
    const photos = await screen.findByRole("list", { name: "Photos of Loft, in order" });
    expect(within(photos).getByRole("img", { name: "Photo 1 (cover)" })).toHaveAttribute("src", "http://x/a-t.jpg");
    expect(within(photos).getByRole("button", { name: "Move photo 1 earlier" })).toBeDisabled();
    await user.click(within(photos).getByRole("button", { name: "Move photo 2 earlier" }));
    await waitFor(() => expect(calls.some((c) => c.method === "PUT")).toBe(true));
    expect(calls.find((c) => c.method === "PUT")!.body).toEqual({ image_ids: ["b", "a"] });

    await user.click(screen.getByRole("button", { name: "Edit" }));
    const rent = screen.getByLabelText("Monthly rent", { selector: "#edit-p1-rent" });
    await user.clear(rent);
    await user.type(rent, "1500.00");
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(calls.some((c) => c.method === "PATCH")).toBe(true));
    expect(calls.find((c) => c.method === "PATCH")!.body).toMatchObject({ monthly_rent: "1500.00", title: "Loft" });
  });
});
