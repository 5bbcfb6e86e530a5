import { useState } from "react";

import { errorMessage } from "../api/base";
import { downloadWithToken } from "../api/download";
import {
  useCardsQuery,
  useInvoicesQuery,
  useLeasesQuery,
  usePayMutation,
  usePaymentsQuery,
  useRentRollQuery,
  useSetAutopayMutation,
} from "../api/rentezy";
import type { Invoice } from "../api/types";
import { useAppSelector } from "../app/hooks";
import { AddCard } from "../features/payments/AddCard";
import { Empty, ErrorMessage, Loading } from "../components/Status";
import { usePageTitle } from "../components/usePageTitle";

const STATUS: Record<string, string> = {
  open: "bg-amber-100 text-amber-800",
  overdue: "bg-red-100 text-red-800",
  paid: "bg-green-100 text-green-800",
  void: "bg-slate-200 text-slate-700",
};

/** Leases, invoices with their lines, paying with a saved card, receipts. */
export function RentPage() {
  usePageTitle("Rent");
  const user = useAppSelector((state) => state.auth.user);
  const leases = useLeasesQuery();
  const invoices = useInvoicesQuery();
  const payments = usePaymentsQuery();
  const [setAutopay] = useSetAutopayMutation();
  const tenant = user?.role === "tenant";

  return (
    <div className="space-y-8">
      <h1 className="text-2xl font-bold">Rent</h1>
      <section aria-labelledby="leases-title" className="space-y-3">
        <h2 id="leases-title" className="text-lg font-semibold">
          Leases
        </h2>
        {leases.isLoading && <Loading />}
        {leases.error && <ErrorMessage error={leases.error} onRetry={leases.refetch} />}
        {leases.data?.results.length === 0 && <Empty title="No leases yet">A lease starts when a landlord approves a rental request.</Empty>}
        <ul className="grid gap-3 md:grid-cols-2">
          {leases.data?.results.map((lease) => (
            <li key={lease.id} className="card space-y-1 p-4 text-sm">
              <p className="font-semibold">{lease.property_title || "Lease"}</p>
              <p className="text-slate-600">
                {lease.start_date} → {lease.end_date} · {lease.monthly_rent} {lease.currency} / month · due on day {lease.due_day} · {lease.status}
              </p>
              {tenant && lease.status === "active" && (
                <label className="flex items-center gap-2 pt-2">
                  <input type="checkbox" checked={lease.autopay} onChange={(e) => setAutopay({ id: lease.id, autopay: e.target.checked })} />
                  Pay automatically on the due date with my latest card
                </label>
              )}
            </li>
          ))}
        </ul>
      </section>

      {tenant && <Cards />}
      {user?.role === "landlord" && <RentRoll />}

      <section aria-labelledby="invoices-title" className="space-y-3">
        <h2 id="invoices-title" className="text-lg font-semibold">
          Invoices
        </h2>
        {invoices.isLoading && <Loading />}
        {invoices.error && <ErrorMessage error={invoices.error} onRetry={invoices.refetch} />}
        {invoices.data?.results.length === 0 && <Empty title="No invoices yet" />}
        <ul className="space-y-3">
          {invoices.data?.results.map((invoice) => (
            <InvoiceCard key={invoice.id} invoice={invoice} canPay={tenant} />
          ))}
        </ul>
      </section>

      <section aria-labelledby="payments-title" className="space-y-3">
        <h2 id="payments-title" className="text-lg font-semibold">
          Payments and receipts
        </h2>
        {payments.data?.results.length === 0 && <Empty title="No payments yet" />}
        <ul className="space-y-2">
          {payments.data?.results.map((payment) => (
            <li key={payment.id} className="card flex flex-wrap items-center justify-between gap-3 p-4 text-sm">
              <span>
                {payment.period} · {payment.amount} {payment.currency} · {payment.status}
                {payment.card_last4 ? ` · card •••• ${payment.card_last4}` : ""}
              </span>
              {payment.receipt_url && <ReceiptButton paymentId={payment.id} />}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

function thisMonth() {
  return new Date().toISOString().slice(0, 7);
}

/** A landlord's rent roll for a month: what each lease owes and paid; also as CSV. */
function RentRoll() {
  const [month, setMonth] = useState(thisMonth());
  const roll = useRentRollQuery(month, { skip: !/^\d{4}-\d{2}$/.test(month) });
  const access = useAppSelector((state) => state.auth.access);

  const [failed, setFailed] = useState(false);
  async function downloadCsv() {
    setFailed(!(await downloadWithToken(`/api/rent/reports/rent-roll?month=${month}&format=csv`, `rent-roll-${month}.csv`, access)));
  }

  return (
    <section aria-labelledby="roll-title" className="space-y-3">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <h2 id="roll-title" className="text-lg font-semibold">
          Rent roll
        </h2>
        <div className="flex items-end gap-2">
          <label className="text-sm">
            <span className="label">Month</span>
            <input type="month" className="field" value={month} onChange={(e) => setMonth(e.target.value)} />
          </label>
          <button type="button" className="btn-secondary" onClick={downloadCsv}>
            Download CSV
          </button>
        </div>
      </div>
      {failed && <p role="alert" className="text-sm text-red-700">Could not download the CSV. Try again.</p>}
      {roll.error && <ErrorMessage error={roll.error} onRetry={roll.refetch} />}
      {roll.data && roll.data.results.length === 0 && <Empty title="Nothing due this month" />}
      {roll.data && roll.data.results.length > 0 && (
        <div className="card overflow-x-auto">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Rent roll for {month}</caption>
            <thead className="bg-slate-50 text-slate-600">
              <tr>
                <th scope="col" className="px-4 py-2">Property</th>
                <th scope="col" className="px-4 py-2">Due</th>
                <th scope="col" className="px-4 py-2">Paid</th>
                <th scope="col" className="px-4 py-2">Outstanding</th>
                <th scope="col" className="px-4 py-2">Late fees</th>
                <th scope="col" className="px-4 py-2">Status</th>
              </tr>
            </thead>
            <tbody>
              {roll.data.results.map((row) => (
                <tr key={row.invoice_id} className="border-t border-slate-100">
                  <td className="px-4 py-2">{row.property_title}</td>
                  <td className="px-4 py-2">{row.due} {row.currency}</td>
                  <td className="px-4 py-2">{row.paid}</td>
                  <td className="px-4 py-2">{row.outstanding}</td>
                  <td className="px-4 py-2">{row.late_fees}</td>
                  <td className="px-4 py-2">{row.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Cards() {
  const cards = useCardsQuery();
  return (
    <section aria-labelledby="cards-title" className="space-y-3">
      <h2 id="cards-title" className="text-lg font-semibold">
        Cards
      </h2>
      {cards.error && <ErrorMessage error={cards.error} onRetry={cards.refetch} />}
      {cards.data?.results.length === 0 && <p className="text-sm text-slate-600">No saved card yet.</p>}
      <ul className="flex flex-wrap gap-2">
        {cards.data?.results.map((card) => (
          <li key={card.id} className="card px-4 py-2 text-sm">
            <span className="font-medium capitalize">{card.brand}</span> •••• {card.last4}
            {card.exp_month && card.exp_year ? ` · ${String(card.exp_month).padStart(2, "0")}/${card.exp_year}` : ""}
          </li>
        ))}
      </ul>
      <AddCard />
    </section>
  );
}

function InvoiceCard({ invoice, canPay }: { invoice: Invoice; canPay: boolean }) {
  const cards = useCardsQuery(undefined, { skip: !canPay });
  const [pay, paying] = usePayMutation();
  const [result, setResult] = useState<string | null>(null);
  const card = cards.data?.results[0];
  const payable = canPay && (invoice.status === "open" || invoice.status === "overdue");

  async function payNow() {
    if (!card) return;
    try {
      const answer = await pay({ invoiceId: invoice.id, paymentMethodId: card.id, idempotencyKey: crypto.randomUUID() }).unwrap();
      setResult(answer.status === "succeeded" ? "Paid. Your receipt is below." : `Payment ${answer.status}.`);
    } catch {
      // shown below
    }
  }

  return (
    <li className="card p-4 text-sm">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="font-semibold">
          {invoice.period} · due {invoice.due_date}
        </p>
        <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${STATUS[invoice.status] ?? ""}`}>{invoice.status}</span>
      </div>
      <table className="mt-2 w-full text-left">
        <caption className="sr-only">Lines of the invoice for {invoice.period}</caption>
        <tbody>
          {invoice.lines.map((line, index) => (
            <tr key={index} className="border-t border-slate-100">
              <td className="py-1">{line.description}</td>
              <td className="py-1 text-right">
                {line.amount} {invoice.currency}
              </td>
            </tr>
          ))}
          <tr className="border-t border-slate-200 font-semibold">
            <td className="py-1">Balance</td>
            <td className="py-1 text-right">
              {invoice.balance} {invoice.currency}
            </td>
          </tr>
        </tbody>
      </table>
      {payable && (
        <div className="mt-3 flex flex-wrap items-center gap-3">
          <button type="button" className="btn-primary" disabled={!card || paying.isLoading} onClick={payNow}>
            {paying.isLoading ? "Paying…" : card ? `Pay ${invoice.balance} ${invoice.currency} with •••• ${card.last4}` : "Pay now"}
          </button>
          {!card && cards.isSuccess && <span className="text-slate-600">Add a card to pay.</span>}
        </div>
      )}
      {paying.error && (
        <p role="alert" className="mt-2 text-red-700">
          {errorMessage(paying.error)}
        </p>
      )}
      {result && (
        <p role="status" className="mt-2 text-green-800">
          {result}
        </p>
      )}
    </li>
  );
}

/** The PDF receipt, fetched with the user's token and saved as a file. */
function ReceiptButton({ paymentId }: { paymentId: string }) {
  const access = useAppSelector((state) => state.auth.access);
  const [failed, setFailed] = useState(false);

  async function download() {
    const url = `/api/rent/payments/${encodeURIComponent(paymentId)}/receipt.pdf`;
    setFailed(!(await downloadWithToken(url, `rentezy-receipt-${paymentId}.pdf`, access)));
  }

  return (
    <span className="flex items-center gap-2">
      <button type="button" className="btn-secondary" onClick={download}>
        Download receipt (PDF)
      </button>
      {failed && <span role="alert" className="text-red-700">Could not download it. Try again.</span>}
    </span>
  );
}
