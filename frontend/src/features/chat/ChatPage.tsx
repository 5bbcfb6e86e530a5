import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";

import { rentezyApi, useConversationsQuery, useMessagesQuery } from "../../api/rentezy";
import type { Conversation, Message } from "../../api/types";
import { useAppDispatch, useAppSelector } from "../../app/hooks";
import { Empty, ErrorMessage, Loading } from "../../components/Status";
import { usePageTitle } from "../../components/usePageTitle";
import { useSocket } from "../realtime/useSocket";

const time = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", day: "numeric", month: "short" });

export function ChatPage() {
  usePageTitle("Messages");
  const { conversationId } = useParams();
  const { data, error, isLoading } = useConversationsQuery();

  return (
    <div className="grid gap-4 md:grid-cols-[18rem_1fr]">
      <aside aria-label="Conversations" className={`card h-fit overflow-hidden ${conversationId ? "hidden md:block" : ""}`}>
        <h1 className="border-b border-slate-100 px-4 py-3 text-lg font-semibold">Messages</h1>
        {isLoading && <Loading />}
        {error && <ErrorMessage error={error} />}
        {data?.results?.length === 0 && <p className="p-4 text-sm text-slate-600">No conversations yet. Message a landlord from a property page.</p>}
        <ul className="divide-y divide-slate-100">
          {data?.results.map((c) => (
            <li key={c.id}>
              <Link to={`/chat/${c.id}`} aria-current={c.id === conversationId ? "page" : undefined} className={`flex items-start justify-between gap-2 px-4 py-3 text-sm hover:bg-slate-50 ${c.id === conversationId ? "bg-brand-50" : ""}`}>
                <span className="min-w-0">
                  <span className="block font-medium">{c.other_participant.full_name || "RentEzy user"}</span>
                  <span className="block truncate text-slate-600">{c.last_message?.body ?? "No messages yet"}</span>
                </span>
                {c.unread_count > 0 && <span className="rounded-full bg-brand-600 px-2 text-xs font-bold text-white">{c.unread_count}</span>}
              </Link>
            </li>
          ))}
        </ul>
      </aside>
      {conversationId ? (
        <Thread conversationId={conversationId} conversation={data?.results.find((c) => c.id === conversationId)} />
      ) : (
        <div className="hidden md:block">
          <Empty title="Pick a conversation" />
        </div>
      )}
    </div>
  );
}

function Thread({ conversationId, conversation }: { conversationId: string; conversation?: Conversation }) {
  const me = useAppSelector((state) => state.auth.user?.id);
  const dispatch = useAppDispatch();
  const { data: history, error, isLoading } = useMessagesQuery(conversationId);
  const [live, setLive] = useState<Message[]>([]);
  const [typing, setTyping] = useState(false);
  const [theirRead, setTheirRead] = useState<string | null>(null);
  const [draft, setDraft] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const typingTimer = useRef<ReturnType<typeof setTimeout>>();
  // Frames written while the socket (re)connects, sent once it is open: each
  // message carries its client_id, so one sent twice is stored once.
  const pending = useRef<string[]>([]);
  const bottom = useRef<HTMLDivElement>(null);

  useEffect(() => {
    setLive([]);
    setTheirRead(null);
    pending.current = [];
  }, [conversationId]);

  const messages = useMemo(() => {
    const byId = new Map<string, Message>();
    for (const m of [...(history?.results ?? [])].reverse()) byId.set(m.id, m);
    for (const m of live) byId.set(m.id, m);
    return [...byId.values()].sort((a, b) => a.created_at.localeCompare(b.created_at));
  }, [history, live]);

  const socket = useSocket(`/ws/chat/${conversationId}`, {
    onOpen: (open) => {
      for (const frame of pending.current.splice(0)) open.send(frame);
    },
    onFrame: (frame) => {
      if (frame.type === "message") {
        setLive((current) => [...current, frame.message as Message]);
        setTyping(false);
        dispatch(rentezyApi.util.invalidateTags(["Conversations"]));
      } else if (frame.type === "typing") {
        setTyping(true);
        clearTimeout(typingTimer.current);
        typingTimer.current = setTimeout(() => setTyping(false), 3000);
      } else if (frame.type === "read") {
        setTheirRead(String(frame.up_to));
      } else if (frame.type === "error") {
        setProblem(String(frame.message));
      }
    },
  });

  // Read receipts: the newest message from the other participant, once shown.
  const newestTheirs = [...messages].reverse().find((m) => m.sender_id !== me);
  useEffect(() => {
    bottom.current?.scrollIntoView?.({ block: "end" });
    const open = socket.current;
    if (newestTheirs && open?.readyState === WebSocket.OPEN) {
      open.send(JSON.stringify({ type: "read", up_to: newestTheirs.id }));
    }
  }, [newestTheirs?.id, socket]); // eslint-disable-line react-hooks/exhaustive-deps

  function send(event: FormEvent) {
    event.preventDefault();
    const body = draft.trim();
    if (!body) return;
    const frame = JSON.stringify({ type: "message", body, client_id: crypto.randomUUID() });
    const open = socket.current;
    if (open?.readyState === WebSocket.OPEN) open.send(frame);
    else pending.current.push(frame);
    setDraft("");
    setProblem(null);
  }

  function keystroke(value: string) {
    setDraft(value);
    const open = socket.current;
    if (open?.readyState === WebSocket.OPEN) open.send(JSON.stringify({ type: "typing" }));
  }

  const myLast = [...messages].reverse().find((m) => m.sender_id === me);
  const seen = myLast && theirRead && messages.findIndex((m) => m.id === theirRead) >= messages.findIndex((m) => m.id === myLast.id);

  return (
    <section aria-label="Conversation" className="card flex h-[70vh] flex-col">
      <header className="flex items-center gap-3 border-b border-slate-100 px-4 py-3">
        <Link to="/chat" className="text-sm text-brand-700 underline md:hidden">
          Back
        </Link>
        <h2 className="font-semibold">{conversation?.other_participant.full_name || "Conversation"}</h2>
      </header>
      <div className="flex-1 space-y-2 overflow-y-auto p-4" aria-live="polite">
        {isLoading && <Loading />}
        {error && <ErrorMessage error={error} />}
        {messages.map((m) => (
          <div key={m.id} className={`flex ${m.sender_id === me ? "justify-end" : "justify-start"}`}>
            <div className={`max-w-[80%] rounded-2xl px-4 py-2 text-sm ${m.sender_id === me ? "bg-brand-600 text-white" : "bg-slate-100 text-slate-900"}`}>
              <p className="whitespace-pre-wrap break-words">{m.body}</p>
              <p className={`mt-1 text-[11px] ${m.sender_id === me ? "text-brand-100" : "text-slate-600"}`}>{time.format(new Date(m.created_at))}</p>
            </div>
          </div>
        ))}
        {seen && <p className="text-right text-xs text-slate-600">Seen</p>}
        {typing && <p className="text-xs italic text-slate-600">typing…</p>}
        <div ref={bottom} />
      </div>
      <form onSubmit={send} className="flex gap-2 border-t border-slate-100 p-3">
        <label htmlFor="message" className="sr-only">
          Message
        </label>
        <input id="message" className="field" autoComplete="off" maxLength={4000} placeholder="Write a message…" value={draft} onChange={(e) => keystroke(e.target.value)} />
        <button type="submit" className="btn-primary" disabled={!draft.trim()}>
          Send
        </button>
      </form>
      {problem && (
        <p role="alert" className="px-4 pb-3 text-sm text-red-700">
          {problem}
        </p>
      )}
    </section>
  );
}
