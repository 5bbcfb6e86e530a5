import { vi } from "vitest";

/** A stand-in for the browser's WebSocket in component tests: records the
 * sockets opened and what they sent, and lets a test push frames or close. */
export class FakeSocket {
  static OPEN = 1;
  static CLOSED = 3;
  static opened: FakeSocket[] = [];
  readyState = 0;
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;

  constructor(public url: string) {
    FakeSocket.opened.push(this);
    queueMicrotask(() => {
      this.readyState = FakeSocket.OPEN;
      this.onopen?.();
    });
  }

  send(data: string) {
    this.sent.push(JSON.parse(data));
  }

  close() {
    this.readyState = FakeSocket.CLOSED;
  }

  push(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  drop(code = 1006) {
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({ code });
  }

  static install() {
    FakeSocket.opened = [];
    vi.stubGlobal("WebSocket", FakeSocket);
  }
}
