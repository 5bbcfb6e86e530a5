"""rent_service settings: leases, invoices, payments, late fees, reminders.

The platform defaults (rentezy_platform.settings) plus what is this service's
own: billing defaults, Stripe, and its Celery tasks.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from celery.schedules import crontab
from rentezy_platform.conf import env
from rentezy_platform.settings import *  # noqa: F403
from rentezy_platform.settings import PLATFORM_APPS, database
from rentezy_platform.tasks import celery_settings

SERVICE_NAME = "rent_service"
INSTALLED_APPS = [*PLATFORM_APPS, "rentezy_platform.idempotency", "rent"]
DATABASES = {"default": database("rentezy_rent")}
READINESS_CHECKS = ["database", "redis", "kafka"]
KAFKA_CONSUMER = {
    "group_id": SERVICE_NAME,
    "topics": ["rentezy.booking", "rentezy.property", "rentezy.user"],
    "handlers": "rent.handlers.HANDLERS",
}

# Billing dates ("today", the day a task runs for) are taken in this zone.
RENT_BILLING_TIME_ZONE = env.str("RENT_BILLING_TIME_ZONE", default="UTC")
RENT_BILLING_TZINFO = ZoneInfo(RENT_BILLING_TIME_ZONE)
# Invoices after the first are issued this many days before their due date.
RENT_INVOICE_LEAD_DAYS = env.int("RENT_INVOICE_LEAD_DAYS", default=14)
# The terms a lease from a reservation gets beside the reservation's own.
RENT_DEFAULT_DUE_DAY = env.int("RENT_DEFAULT_DUE_DAY", default=1)
RENT_DEFAULT_GRACE_DAYS = env.int("RENT_DEFAULT_GRACE_DAYS", default=5)
RENT_DEFAULT_LATE_FEE_KIND = env.str("RENT_DEFAULT_LATE_FEE_KIND", default="percent")
RENT_DEFAULT_LATE_FEE_FLAT_MINOR = env.int("RENT_DEFAULT_LATE_FEE_FLAT_MINOR", default=0)
RENT_DEFAULT_LATE_FEE_PERCENT_BP = env.int("RENT_DEFAULT_LATE_FEE_PERCENT_BP", default=500)
RENT_DEFAULT_LATE_FEE_CAP_MINOR = env.int("RENT_DEFAULT_LATE_FEE_CAP_MINOR", default=10_000)
# Autopay: charges on the due date, then once a day after a soft decline, at
# most this many in all.
RENT_AUTOPAY_MAX_ATTEMPTS = env.int("RENT_AUTOPAY_MAX_ATTEMPTS", default=3)

# Stripe (the official library; localstripe offline, see dev.env).
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300
# What the web app loads to collect cards (Elements): Stripe.js and the
# publishable key. Offline, localstripe serves its Stripe.js stand-in.
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_JS_URL = env.str("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
# stripe-mock: the contract test replays every Stripe request against it.
STRIPE_MOCK_URL = env.str("STRIPE_MOCK_URL", default="http://127.0.0.1:12111")
# Confirm autopay PaymentIntents with `off_session=true` (Stripe's rule for a
# charge the customer is not present for). localstripe 1.15.10 refuses that
# parameter on confirm, so dev.env turns it off; the stripe-mock contract test
# checks the request with it on.
STRIPE_CONFIRM_OFF_SESSION = env.bool("STRIPE_CONFIRM_OFF_SESSION", default=True)
# A payment still pending after this is settled from Stripe's state
# (rent.reconcile_payments, every RENT_RECONCILE_INTERVAL_SECONDS).
RENT_RECONCILE_AFTER_SECONDS = env.int("RENT_RECONCILE_AFTER_SECONDS", default=600)

# Request bodies here are a few small fields (the Stripe webhook's are larger).
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

# Celery (config/celery.py): Redis broker, late acknowledgement, explicit zone.
globals().update(celery_settings(SERVICE_NAME))
CELERY_TIMEZONE = RENT_BILLING_TIME_ZONE
CELERY_ENABLE_UTC = True
# When the daily billing run starts (hour, minute in RENT_BILLING_TIME_ZONE).
RENT_BILLING_HOUR = env.int("RENT_BILLING_HOUR", default=6)
# Tests run the billing every few seconds instead (0: daily, the default).
_BILLING_EVERY_SECONDS = env.float("RENT_BILLING_BEAT_SECONDS", default=0.0)
CELERY_BEAT_SCHEDULE = {
    "daily-billing-run": {
        "task": "rent.billing_run",
        "schedule": (
            timedelta(seconds=_BILLING_EVERY_SECONDS)
            if _BILLING_EVERY_SECONDS
            else crontab(hour=RENT_BILLING_HOUR, minute=0)
        ),
    },
    "reconcile-payments": {
        "task": "rent.reconcile_payments",
        "schedule": timedelta(minutes=10),
    },
    "prune-idempotency-keys": {
        "task": "rent.prune_idempotency_keys",
        "schedule": crontab(minute=17),
    },
}

SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,  # noqa: F405
    "DESCRIPTION": "Leases, invoices, Stripe payments, receipts and the rent roll.",
    # Three objects here have a `status` and two a `kind`: one named enum each.
    "ENUM_NAME_OVERRIDES": {
        "LateFeeKindEnum": "rent.models.LateFeeKind",
        "InvoiceLineKindEnum": "rent.models.InvoiceLineKind",
        "LeaseStatusEnum": "rent.models.LeaseStatus",
        "InvoiceStatusEnum": "rent.models.InvoiceStatus",
        "PaymentStatusEnum": "rent.models.PaymentStatus",
    },
}
