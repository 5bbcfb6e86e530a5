"""Demo data shared with the rest of the platform.

`manage.py seed` gives its properties to these landlords unless told other
owners (`--owner-id`). They are accounts of auth_service, another service with
its own database: `make seed` registers them there with these same ids, so a
demo user can log in as one and manage the seeded properties. The ids are
fixed forever; change an e-mail or a name only together with that wiring.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DemoLandlord:
    id: uuid.UUID
    email: str
    full_name: str


# A well-known development password for the demo accounts (never used in
# production: `make seed` runs against the native dev stack only).
DEMO_LANDLORD_PASSWORD = "rentezy demo landlord"

DEMO_LANDLORDS: tuple[DemoLandlord, ...] = (
    DemoLandlord(
        id=uuid.UUID("5eed1a4d-0000-4000-8000-000000000001"),
        email="maria.gonzalez@landlords.rentezy.dev",
        full_name="María González",
    ),
    DemoLandlord(
        id=uuid.UUID("5eed1a4d-0000-4000-8000-000000000002"),
        email="james.okafor@landlords.rentezy.dev",
        full_name="James Okafor",
    ),
    DemoLandlord(
        id=uuid.UUID("5eed1a4d-0000-4000-8000-000000000003"),
        email="sophie.laurent@landlords.rentezy.dev",
        full_name="Sophie Laurent",
    ),
    DemoLandlord(
        id=uuid.UUID("5eed1a4d-0000-4000-8000-000000000004"),
        email="kenji.tanaka@landlords.rentezy.dev",
        full_name="Kenji Tanaka",
    ),
    DemoLandlord(
        id=uuid.UUID("5eed1a4d-0000-4000-8000-000000000005"),
        email="priya.raman@landlords.rentezy.dev",
        full_name="Priya Raman",
    ),
)
