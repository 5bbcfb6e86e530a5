import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { renderPage } from "../test/render";
import { RequireAuth } from "./RequireAuth";

const tenant = { access: "a", refresh: "r", user: { id: "t", email: "t@example.com", full_name: "T", role: "tenant" as const } };

describe("RequireAuth", () => {
  it("sends a visitor to sign in, remembering where they were going", () => {
    renderPage(<RequireAuth><p>secret</p></RequireAuth>, { route: "/rent?x=1", path: "/rent" });
    expect(screen.queryByText("secret")).not.toBeInTheDocument();
    expect(screen.getByTestId("location")).toHaveTextContent("/login");
  });

  it("keeps a tenant out of a landlord's page and lets the right role in", () => {
    renderPage(<RequireAuth role="landlord"><p>landlord only</p></RequireAuth>, { route: "/landlord", path: "/landlord", auth: tenant });
    expect(screen.queryByText("landlord only")).not.toBeInTheDocument();
    renderPage(<RequireAuth role="tenant"><p>tenant page</p></RequireAuth>, { route: "/rent", path: "/rent", auth: tenant });
    expect(screen.getByText("tenant page")).toBeInTheDocument();
  });
});
