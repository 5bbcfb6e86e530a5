"""Public rent routes, mounted at `api/rent/` (exact paths, no trailing slash).

Ids are matched as any path segment and parsed by the views: a non-UUID id is
a 404 `not_found` in the error shape, like an unknown one.
"""

from django.urls import path

from rent import apis, payment_apis

urlpatterns = [
    # Leases, invoices, payments, receipts, the rent roll: rent/apis.py.
    path("leases", apis.LeaseListApi.as_view(), name="lease-list"),
    path("leases/<str:lease_id>", apis.LeaseDetailApi.as_view(), name="lease-detail"),
    path("invoices", apis.InvoiceListApi.as_view(), name="invoice-list"),
    path("invoices/<str:invoice_id>", apis.InvoiceDetailApi.as_view(), name="invoice-detail"),
    path("payments", apis.PaymentListApi.as_view(), name="payment-list"),
    path(
        "payments/<str:payment_id>/receipt.pdf", apis.ReceiptApi.as_view(), name="payment-receipt"
    ),
    path("reports/rent-roll", apis.RentRollApi.as_view(), name="rent-roll"),
    # Payment methods, pay, the Stripe webhook: rent/payment_apis.py.
    path(
        "payment-methods",
        payment_apis.PaymentMethodListCreateApi.as_view(),
        name="payment-method-list",
    ),
    path(
        "payment-methods/setup",
        payment_apis.CardSetupApi.as_view(),
        name="payment-method-setup",
    ),
    path("invoices/<str:invoice_id>/pay", payment_apis.InvoicePayApi.as_view(), name="invoice-pay"),
    path("webhooks/stripe", payment_apis.StripeWebhookApi.as_view(), name="stripe-webhook"),
]
