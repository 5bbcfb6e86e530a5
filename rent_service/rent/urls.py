"""Public rent routes, mounted at `api/rent/` (exact paths, no trailing slash).

Ids are matched as any path segment and parsed by the views: a non-UUID id is
a 404 `not_found` in the error shape, like an unknown one.
"""

from django.urls import path

from rent import payment_apis

urlpatterns = [
    # Payment methods, pay, the Stripe webhook: rent/payment_apis.py.
    path(
        "payment-methods",
        payment_apis.PaymentMethodListCreateApi.as_view(),
        name="payment-method-list",
    ),
    path("invoices/<str:invoice_id>/pay", payment_apis.InvoicePayApi.as_view(), name="invoice-pay"),
    path("webhooks/stripe", payment_apis.StripeWebhookApi.as_view(), name="stripe-webhook"),
]
