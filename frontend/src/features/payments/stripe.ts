// Stripe.js, loaded once from the URL the API names (rent_service's
// STRIPE_JS_URL: the real https://js.stripe.com/v3/ in production,
// localstripe's stand-in offline), so the same Elements code runs in both.

export type CardElement = { mount(node: HTMLElement): void; unmount(): void; destroy?(): void };
export type StripeInstance = {
  elements(): { create(type: "card", options?: unknown): CardElement };
  confirmCardSetup(
    clientSecret: string,
    data: { payment_method: { card: CardElement } },
  ): Promise<{ setupIntent?: { payment_method: string; status: string }; error?: { message?: string } | null }>;
};
type StripeFactory = (publishableKey: string) => StripeInstance;

const loading = new Map<string, Promise<StripeFactory>>();

export function loadStripe(url: string): Promise<StripeFactory> {
  const existing = loading.get(url);
  if (existing) return existing;
  const promise = new Promise<StripeFactory>((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.async = true;
    script.onload = () => {
      const factory = (window as unknown as { Stripe?: StripeFactory }).Stripe;
      if (factory) resolve(factory);
      else reject(new Error("Stripe.js did not load."));
    };
    script.onerror = () => {
      loading.delete(url);
      reject(new Error("Stripe.js could not be loaded."));
    };
    document.head.appendChild(script);
  });
  loading.set(url, promise);
  return promise;
}
