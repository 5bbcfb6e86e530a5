import { useRef, useState } from "react";
import { Link } from "react-router-dom";

import {
  rentezyApi,
  useNotificationsQuery,
  useReadAllNotificationsMutation,
  useReadNotificationMutation,
  useUnreadCountQuery,
} from "../../api/rentezy";
import type { Notification } from "../../api/types";
import { useAppDispatch } from "../../app/hooks";
import { useSocket } from "../realtime/useSocket";

const LINKS: Record<string, (data: Record<string, string | null>) => string> = {
  "message.received": (d) => `/chat/${d.conversation_id}`,
  "booking.confirmed": () => "/bookings",
  "booking.cancelled": () => "/bookings",
  "rental.requested": () => "/bookings",
  "rental.approved": () => "/rent",
  "invoice.issued": () => "/rent",
  "payment.succeeded": () => "/rent",
  "payment.failed": () => "/rent",
  "rent.reminder": () => "/rent",
  "late_fee.applied": () => "/rent",
};

/** The live bell: unread count, the latest notifications, mark read; pushed
 * over /ws/notifications, catching up after a reconnect with `after`. */
export function NotificationBell() {
  const dispatch = useAppDispatch();
  const [open, setOpen] = useState(false);
  const lastSeen = useRef<string | undefined>(undefined);
  const { data: count } = useUnreadCountQuery();
  const { data: list } = useNotificationsQuery();
  const [read] = useReadNotificationMutation();
  const [readAll] = useReadAllNotificationsMutation();
  if (list?.results[0] && !lastSeen.current) lastSeen.current = list.results[0].id;

  useSocket("/ws/notifications", {
    params: () => ({ after: lastSeen.current }),
    onFrame: (frame) => {
      if (frame.type !== "notification") return;
      lastSeen.current = (frame.notification as Notification).id;
      dispatch(rentezyApi.util.invalidateTags(["Notifications"]));
    },
  });

  const unread = count?.unread_count ?? 0;
  return (
    <div className="relative">
      <button
        type="button"
        className="relative rounded-full p-2 text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500"
        aria-label={unread ? `Notifications, ${unread} unread` : "Notifications"}
        aria-expanded={open}
        aria-haspopup="true"
        onClick={() => setOpen(!open)}
      >
        <svg aria-hidden viewBox="0 0 24 24" className="h-6 w-6" fill="none" stroke="currentColor" strokeWidth="1.8">
          <path d="M15 17h5l-1.4-1.4A2 2 0 0 1 18 14.2V11a6 6 0 1 0-12 0v3.2a2 2 0 0 1-.6 1.4L4 17h5m6 0v1a3 3 0 1 1-6 0v-1m6 0H9" />
        </svg>
        {unread > 0 && (
          <span data-testid="unread-badge" className="absolute -right-0.5 -top-0.5 min-w-5 rounded-full bg-red-600 px-1.5 text-center text-xs font-bold text-white">
            {unread}
          </span>
        )}
      </button>
      {open && (
        <div role="dialog" aria-label="Notifications" className="card absolute right-0 z-20 mt-2 w-80 max-w-[90vw] overflow-hidden">
          <div className="flex items-center justify-between border-b border-slate-100 px-4 py-2">
            <p className="font-semibold">Notifications</p>
            <button type="button" className="text-sm text-brand-700 underline disabled:opacity-50" disabled={!unread} onClick={() => readAll()}>
              Mark all read
            </button>
          </div>
          {list && list.results.length === 0 && <p className="p-4 text-sm text-slate-600">Nothing yet.</p>}
          <ul className="max-h-96 divide-y divide-slate-100 overflow-y-auto">
            {list?.results.map((n) => (
              <li key={n.id} className={n.read_at ? "bg-white" : "bg-brand-50"}>
                <Link
                  to={(LINKS[n.type] ?? (() => "/"))(n.data as Record<string, string | null>)}
                  className="block px-4 py-3 text-sm hover:bg-slate-50"
                  onClick={() => {
                    setOpen(false);
                    if (!n.read_at) read(n.id);
                  }}
                >
                  <p className="font-medium">{n.title}</p>
                  <p className="text-slate-600">{n.body}</p>
                </Link>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
