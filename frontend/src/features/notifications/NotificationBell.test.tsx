import { act, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { FakeSocket } from "../../test/fakeSocket";
import { renderPage, stubFetch } from "../../test/render";
import { NotificationBell } from "./NotificationBell";

const AUTH = { access: "a1", refresh: "r1", user: { id: "u1", email: "l@example.com", full_name: "Lee", role: "landlord" as const } };

function note(id: string, title: string, read = false) {
  return { id, type: "booking.confirmed", title, body: "A tenant booked a viewing.", data: {}, created_at: "2027-01-01T10:00:00Z", read_at: read ? "2027-01-01T11:00:00Z" : null };
}

describe("NotificationBell", () => {
  beforeEach(() => FakeSocket.install());

  it("updates live when a notification is pushed, and catches up from the last one after a drop", async () => {
    let feed = [note("n1", "First")];
    const calls = stubFetch((method, url) => {
      if (url.pathname === "/api/notifications/unread-count") return { status: 200, body: { unread_count: feed.filter((n) => !n.read_at).length } };
      if (url.pathname === "/api/notifications") return { status: 200, body: { count: feed.length, next: null, previous: null, results: feed } };
      if (url.pathname === "/api/notifications/read-all" && method === "POST") {
        feed = feed.map((n) => ({ ...n, read_at: "2027-01-02T00:00:00Z" }));
        return { status: 200, body: { marked: 2 } };
      }
      return { status: 404, body: { code: "not_found", message: "?" } };
    });
    renderPage(<NotificationBell />, { auth: AUTH });

    expect(await screen.findByTestId("unread-badge")).toHaveTextContent("1");
    expect(FakeSocket.opened[0].url).toBe("ws://localhost:3000/ws/notifications?token=a1");

    feed = [note("n2", "Second"), ...feed];
    act(() => FakeSocket.opened[0].push({ type: "notification", notification: feed[0] }));
    await waitFor(() => expect(screen.getByTestId("unread-badge")).toHaveTextContent("2"));
    expect(screen.getByRole("button", { name: "Notifications, 2 unread" })).toBeInTheDocument();

    vi.useFakeTimers({ shouldAdvanceTime: true });
    act(() => FakeSocket.opened[0].drop(1006));
    await act(async () => {
      vi.advanceTimersByTime(1100);
    });
    vi.useRealTimers();
    await waitFor(() => expect(FakeSocket.opened).toHaveLength(2));
    expect(FakeSocket.opened[1].url).toBe("ws://localhost:3000/ws/notifications?after=n2&token=a1");

    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Notifications, 2 unread" }));
    expect(screen.getByRole("dialog", { name: "Notifications" })).toHaveTextContent("Second");
    await user.click(screen.getByRole("button", { name: "Mark all read" }));
    await waitFor(() => expect(screen.queryByTestId("unread-badge")).not.toBeInTheDocument());
    expect(calls.some((c) => c.url.pathname === "/api/notifications/read-all")).toBe(true);
  });

  it("opens no socket for a signed-out visitor", () => {
    stubFetch(() => ({ status: 401, body: { code: "not_authenticated", message: "Sign in." } }));
    renderPage(<NotificationBell />);
    expect(FakeSocket.opened).toHaveLength(0);
  });
});
