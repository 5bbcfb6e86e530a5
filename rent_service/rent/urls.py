"""Public rent routes, mounted at `api/rent/` (exact paths, no trailing slash).

Ids are matched as any path segment and parsed by the views: a non-UUID id is
a 404 `not_found` in the error shape, like an unknown one.
"""

from django.urls import path  # noqa: F401

urlpatterns: list = [
    # Leases, invoices, payments, receipts, rent roll: rent/apis.py.
    # Payment methods, pay, the Stripe webhook: rent/payment_apis.py.
]
