import { describe, expect, it } from "vitest";

import { backoff, socketUrl } from "./useSocket";

describe("socket addresses and retries", () => {
  it("puts the token last and leaves out empty parameters", () => {
    expect(socketUrl("/ws/notifications", "tok", { after: "n1", none: undefined })).toBe(
      "ws://localhost:3000/ws/notifications?after=n1&token=tok",
    );
  });

  it("waits longer after each failed attempt, up to 30 seconds", () => {
    expect([1, 2, 3, 4, 5, 6, 10].map(backoff)).toEqual([1, 2, 4, 8, 16, 30, 30]);
  });
});
