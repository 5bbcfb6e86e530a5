import { useEffect, useRef, useState, type FormEvent } from "react";

import { errorMessage } from "../../api/base";
import { useCardSetupMutation, useSaveCardMutation } from "../../api/rentezy";
import { loadStripe, type CardElement, type StripeInstance } from "./stripe";

type Ready = { stripe: StripeInstance; card: CardElement; secret: string };

/** Save a card with Stripe Elements: a SetupIntent from the API, confirmed in
 * the browser (card details go to Stripe only), then the PaymentMethod saved. */
export function AddCard({ onSaved }: { onSaved?: () => void }) {
  const [setup, setupState] = useCardSetupMutation();
  const [save, saveState] = useSaveCardMutation();
  const [ready, setReady] = useState<Ready | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const mountPoint = useRef<HTMLDivElement>(null);

  async function start() {
    setProblem(null);
    try {
      const answer = await setup().unwrap();
      const Stripe = await loadStripe(answer.stripe_js_url);
      const stripe = Stripe(answer.publishable_key);
      const card = stripe.elements().create("card");
      setReady({ stripe, card, secret: answer.client_secret });
    } catch (error) {
      setProblem(error instanceof Error ? error.message : errorMessage(error));
    }
  }

  useEffect(() => {
    if (ready && mountPoint.current) {
      ready.card.mount(mountPoint.current);
      return () => ready.card.unmount();
    }
  }, [ready]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!ready) return;
    setBusy(true);
    setProblem(null);
    try {
      const result = await ready.stripe.confirmCardSetup(ready.secret, { payment_method: { card: ready.card } });
      if (result.error || !result.setupIntent) {
        setProblem(result.error?.message ?? "The card could not be saved.");
        return;
      }
      await save({ payment_method_id: result.setupIntent.payment_method }).unwrap();
      setReady(null);
      onSaved?.();
    } catch (error) {
      setProblem(errorMessage(error));
    } finally {
      setBusy(false);
    }
  }

  if (!ready) {
    return (
      <div className="space-y-2">
        <button type="button" className="btn-secondary" onClick={start} disabled={setupState.isLoading}>
          {setupState.isLoading ? "Preparing…" : "Add a card"}
        </button>
        {problem && (
          <p role="alert" className="text-sm text-red-700">
            {problem}
          </p>
        )}
      </div>
    );
  }
  return (
    <form onSubmit={submit} className="space-y-3" aria-label="Add a card">
      <div ref={mountPoint} data-testid="card-element" className="field flex flex-wrap gap-2 [&_input]:min-w-0 [&_input]:flex-1 [&_input]:outline-none" />
      <div className="flex gap-2">
        <button type="submit" className="btn-primary" disabled={busy || saveState.isLoading}>
          {busy ? "Saving…" : "Save card"}
        </button>
        <button type="button" className="btn-secondary" onClick={() => setReady(null)}>
          Cancel
        </button>
      </div>
      {problem && (
        <p role="alert" className="text-sm text-red-700">
          {problem}
        </p>
      )}
    </form>
  );
}
