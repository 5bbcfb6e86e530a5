import { useEffect, useRef } from "react";

import { rentezyApi } from "../../api/rentezy";
import { useAppDispatch, useAppSelector } from "../../app/hooks";

/** The gateway closes a socket whose token was revoked or expired with 4401. */
export const CLOSE_AUTH_ENDED = 4401;

/** `ws(s)://<this origin><path>?<params>&token=<access>` (the gateway's WebSocket proxy). */
export function socketUrl(path: string, token: string, params: Record<string, string | undefined> = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  query.set("token", token);
  return `${window.location.origin.replace(/^http/, "ws")}${path}?${query}`;
}

/** Seconds to wait before reconnect attempt `n` (1, 2, 4 ... capped at 30). */
export function backoff(attempt: number) {
  return Math.min(30, 2 ** Math.max(0, attempt - 1));
}

type Options = {
  /** Query parameters besides the token, read at each (re)connection. */
  params?: () => Record<string, string | undefined>;
  onFrame: (frame: Record<string, unknown>) => void;
  onOpen?: (socket: WebSocket) => void;
  enabled?: boolean;
};

/**
 * An open socket to `path` while the user is signed in: reconnects with
 * backoff when it drops; on 4401 (token revoked or expired) it asks the API
 * once (which refreshes the token) and reconnects with the new token.
 * Returns a ref to the current socket, for sending.
 */
export function useSocket(path: string | null, { params, onFrame, onOpen, enabled = true }: Options) {
  const access = useAppSelector((state) => state.auth.access);
  const dispatch = useAppDispatch();
  const socketRef = useRef<WebSocket | null>(null);
  const handlers = useRef({ onFrame, onOpen, params });
  handlers.current = { onFrame, onOpen, params };

  useEffect(() => {
    if (!path || !access || !enabled) return;
    let stopped = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;

    function connect() {
      const socket = new WebSocket(socketUrl(path!, access!, handlers.current.params?.()));
      socketRef.current = socket;
      socket.onopen = () => {
        attempt = 0;
        handlers.current.onOpen?.(socket);
      };
      socket.onmessage = (event) => {
        try {
          handlers.current.onFrame(JSON.parse(String(event.data)));
        } catch {
          // not JSON: nothing this app sends or expects
        }
      };
      socket.onclose = (event) => {
        if (stopped) return;
        if (event.code === CLOSE_AUTH_ENDED) {
          // Any API call refreshes the token pair (or signs out); the new
          // access token re-runs this effect with a fresh socket.
          dispatch(rentezyApi.endpoints.me.initiate(undefined, { forceRefetch: true }));
          return;
        }
        attempt += 1;
        timer = setTimeout(connect, backoff(attempt) * 1000);
      };
    }

    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      socketRef.current?.close(1000);
      socketRef.current = null;
    };
  }, [path, access, enabled, dispatch]);

  return socketRef;
}
