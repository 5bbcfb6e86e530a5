"""rent_service's data: leases, their monthly invoices and lines, payments
through Stripe, the tenants' Stripe customers and saved cards, the Stripe
webhook events already applied, the reminders already sent, and the
projections of properties and users that landlord-created leases check.

Every rule that must hold under concurrency is a database constraint, so no
interleaving of requests, webhooks, consumers or Celery tasks breaks it:

- one lease per reservation (UNIQUE reservation_id): a redelivered
  `rental_confirmed` creates nothing twice;
- one invoice per lease and month (UNIQUE lease, period);
- one late fee per invoice (partial UNIQUE on its `late_fee` line);
- one payment in flight per invoice (partial UNIQUE on `pending`), and one
  attempt number per invoice (UNIQUE invoice, attempt): the attempt is in the
  Stripe idempotency keys, so a retried charge is the same charge;
- one row per Stripe PaymentIntent and per Stripe event id (webhooks are
  applied once);
- one reminder of each kind per invoice.

Money is integer minor units beside a currency. Billing rules: billing.py.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q

from rent import billing

DUE_DAY_MAX = 28
GRACE_DAYS_MAX = 27
LATE_FEE_BP_MAX = 10_000


class PropertyProjection(models.Model):
    """What rent_service knows of a property, from rentezy.property events
    (only a newer `version` replaces it): its owner and terms, so a landlord
    can open a lease on their own property with no synchronous call."""

    id = models.UUIDField(primary_key=True)  # the property_id
    version = models.PositiveIntegerField()
    owner_id = models.UUIDField(db_index=True)
    status = models.CharField(max_length=16)
    title = models.CharField(max_length=200)
    monthly_rent_minor = models.BigIntegerField()
    deposit_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    updated_at = models.DateTimeField(auto_now=True)

    LISTED = "listed"

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def is_listed(self) -> bool:
        return self.status == self.LISTED


class UserProjection(models.Model):
    """A registered user's role, from rentezy.user events."""

    id = models.UUIDField(primary_key=True)  # the user_id
    role = models.CharField(max_length=16)
    email = models.EmailField(blank=True, default="")
    full_name = models.CharField(max_length=200, blank=True, default="")

    TENANT = "tenant"

    def __str__(self) -> str:
        return f"{self.id} ({self.role})"


class LeaseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"
    CANCELLED = "cancelled", "Cancelled"


class LateFeeKind(models.TextChoices):
    FLAT = billing.LATE_FEE_FLAT, "Flat"
    PERCENT = billing.LATE_FEE_PERCENT, "Percent of the monthly rent"


class Lease(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The reservation it came from (rental_confirmed); null for a lease a
    # landlord opened directly.
    reservation_id = models.UUIDField(null=True, blank=True, unique=True)
    property_id = models.UUIDField()
    property_title = models.CharField(max_length=200, blank=True, default="")
    tenant_id = models.UUIDField()
    landlord_id = models.UUIDField()
    currency = models.CharField(max_length=3)
    monthly_rent_minor = models.BigIntegerField()
    deposit_minor = models.BigIntegerField(default=0)
    start_date = models.DateField()
    end_date = models.DateField()  # exclusive: the move-out day
    due_day = models.PositiveSmallIntegerField(default=1)
    grace_days = models.PositiveSmallIntegerField(default=5)
    late_fee_kind = models.CharField(
        max_length=8, choices=LateFeeKind.choices, default=LateFeeKind.FLAT
    )
    late_fee_flat_minor = models.BigIntegerField(default=0)
    late_fee_percent_bp = models.PositiveIntegerField(default=0)
    late_fee_cap_minor = models.BigIntegerField(null=True, blank=True)
    autopay = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=LeaseStatus.choices, default=LeaseStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant_id", "-created_at"], name="lease_tenant_created"),
            models.Index(fields=["landlord_id", "-created_at"], name="lease_landlord_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(monthly_rent_minor__gt=0), name="lease_rent_positive"
            ),
            models.CheckConstraint(condition=Q(deposit_minor__gte=0), name="lease_deposit_gte_0"),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="lease_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(due_day__gte=1) & Q(due_day__lte=DUE_DAY_MAX),
                name="lease_due_day_range",
            ),
            models.CheckConstraint(
                condition=Q(grace_days__lte=GRACE_DAYS_MAX), name="lease_grace_days_range"
            ),
            models.CheckConstraint(
                condition=Q(late_fee_flat_minor__gte=0)
                & Q(late_fee_percent_bp__lte=LATE_FEE_BP_MAX)
                & (Q(late_fee_cap_minor__isnull=True) | Q(late_fee_cap_minor__gte=0)),
                name="lease_late_fee_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.property_title or self.property_id} {self.start_date}–{self.end_date}"

    @property
    def terms(self) -> billing.Terms:
        return billing.Terms(
            monthly_rent_minor=self.monthly_rent_minor,
            deposit_minor=self.deposit_minor,
            start_date=self.start_date,
            end_date=self.end_date,
            due_day=self.due_day,
            grace_days=self.grace_days,
            late_fee_kind=self.late_fee_kind,
            late_fee_flat_minor=self.late_fee_flat_minor,
            late_fee_percent_bp=self.late_fee_percent_bp,
            late_fee_cap_minor=self.late_fee_cap_minor,
        )


class InvoiceStatus(models.TextChoices):
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    OVERDUE = "overdue", "Overdue"
    VOID = "void", "Void"


UNPAID_INVOICE_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.OVERDUE)


class Invoice(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lease = models.ForeignKey(Lease, on_delete=models.PROTECT, related_name="invoices")
    period = models.DateField()  # the month's first day
    tenant_id = models.UUIDField()
    landlord_id = models.UUIDField()
    currency = models.CharField(max_length=3)
    # Sum of the lines other than late fees, sum of the late fee lines, and
    # what succeeded payments brought in.
    amount_minor = models.BigIntegerField()
    late_fee_minor = models.BigIntegerField(default=0)
    amount_paid_minor = models.BigIntegerField(default=0)
    due_date = models.DateField()
    status = models.CharField(
        max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN
    )
    is_first = models.BooleanField(default=False)
    issued_on = models.DateField()
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    # Autopay: charges tried by the billing run, and the day of the last one
    # (one a day, a bounded number); a hard decline stops them.
    autopay_attempts = models.PositiveSmallIntegerField(default=0)
    autopay_last_on = models.DateField(null=True, blank=True)
    autopay_stopped = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period", "-created_at"]
        indexes = [
            models.Index(fields=["tenant_id", "-period"], name="invoice_tenant_period"),
            models.Index(fields=["landlord_id", "-period"], name="invoice_landlord_period"),
            models.Index(fields=["status", "due_date"], name="invoice_status_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["lease", "period"], name="invoice_one_per_lease_period"
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gte=0)
                & Q(late_fee_minor__gte=0)
                & Q(amount_paid_minor__gte=0),
                name="invoice_amounts_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lease_id} {self.period_label} ({self.status})"

    @property
    def period_label(self) -> str:
        return billing.period_label(self.period)

    @property
    def total_minor(self) -> int:
        return self.amount_minor + self.late_fee_minor

    @property
    def balance_minor(self) -> int:
        return max(self.total_minor - self.amount_paid_minor, 0)

    @property
    def is_unpaid(self) -> bool:
        return self.status in UNPAID_INVOICE_STATUSES


class InvoiceLineKind(models.TextChoices):
    RENT = billing.LINE_RENT, "Rent"
    PRORATED_RENT = billing.LINE_PRORATED_RENT, "Pro-rated rent"
    DEPOSIT = billing.LINE_DEPOSIT, "Deposit"
    LATE_FEE = billing.LINE_LATE_FEE, "Late fee"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=16, choices=InvoiceLineKind.choices)
    description = models.CharField(max_length=200)
    amount_minor = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(kind=billing.LINE_LATE_FEE),
                name="invoice_one_late_fee",
            ),
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="line_amount_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_minor}"


class StripeCustomer(models.Model):
    tenant_id = models.UUIDField(primary_key=True)
    stripe_customer_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.stripe_customer_id


class PaymentMethod(models.Model):
    """A card a tenant saved (attached to their Stripe customer)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    stripe_payment_method_id = models.CharField(max_length=255)
    brand = models.CharField(max_length=32, blank=True, default="")
    last4 = models.CharField(max_length=4, blank=True, default="")
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "stripe_payment_method_id"], name="payment_method_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand} •••• {self.last4}"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # created; Stripe not (yet) known to have answered
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class PaymentSource(models.TextChoices):
    TENANT = "tenant", "Paid by the tenant"
    AUTOPAY = "autopay", "Autopay"


class Payment(models.Model):
    """One charge attempt of an invoice. The attempt number is in its Stripe
    idempotency keys; the PaymentIntent's id is stored before it is confirmed,
    so a retried attempt finds and finishes the same PaymentIntent."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    lease_id = models.UUIDField()
    tenant_id = models.UUIDField()
    landlord_id = models.UUIDField()
    attempt = models.PositiveIntegerField()
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    source = models.CharField(max_length=16, choices=PaymentSource.choices)
    payment_method = models.ForeignKey(
        PaymentMethod, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    stripe_payment_intent_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    failure_code = models.CharField(max_length=64, blank=True, default="")
    failure_message = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant_id", "-created_at"], name="payment_tenant_created"),
            models.Index(fields=["landlord_id", "-created_at"], name="payment_landlord_created"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "attempt"], name="payment_attempt_once"),
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status="pending"),
                name="payment_one_in_flight_per_invoice",
            ),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} #{self.attempt} {self.amount_minor} ({self.status})"

    @property
    def failure_code_or_none(self) -> str | None:
        return self.failure_code or None

    @property
    def failure_message_or_none(self) -> str | None:
        return self.failure_message or None

    def idempotency_key(self, step: str) -> str:
        """Deterministic Stripe Idempotency-Key of one step ("create",
        "confirm") of this attempt: the same attempt is the same request."""
        return f"rentezy-invoice-{self.invoice_id}-attempt-{self.attempt}-{step}"


class StripeEvent(models.Model):
    """A Stripe webhook event already applied (its id is Stripe's)."""

    id = models.CharField(primary_key=True, max_length=255)
    type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=255, blank=True, default="")  # e.g. the PaymentIntent
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.id} {self.type}"


class ReminderKind(models.TextChoices):
    DAYS_7 = billing.REMINDER_7_DAYS, "7 days before"
    DAYS_3 = billing.REMINDER_3_DAYS, "3 days before"
    DUE_TODAY = billing.REMINDER_DUE_TODAY, "Due today"
    OVERDUE = billing.REMINDER_OVERDUE, "Overdue"


class Reminder(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=16, choices=ReminderKind.choices)
    sent_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "kind"], name="reminder_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.kind}"
