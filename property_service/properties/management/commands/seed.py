"""`manage.py seed`: realistic demo properties (properties/seeding.py).

    manage.py seed                          # 60 properties with photos, demo landlords
    manage.py seed --count 10000 --no-images --seed 7
    manage.py seed --owner-id <uuid> --owner-id <uuid>

Idempotent: property N of seed S has a fixed id, and one that exists already
is left as it is (photos are added only to properties this run created).
Every property is announced (rentezy.property.created.v1) through the outbox,
like any write, in batches of BATCH_SIZE per transaction; each photo goes
through services.property_image_add, like an upload (an updated event each).
Without --owner-id the properties belong to the demo landlords of
properties/demo.py, which `make seed` registers in auth_service.
"""

from __future__ import annotations

import io
import json
import uuid

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from properties import services
from properties.demo import DEMO_LANDLORD_PASSWORD, DEMO_LANDLORDS
from properties.seeding import seeded_photo, seeded_property

BATCH_SIZE = 500
DEFAULT_COUNT = 60
DEFAULT_SEED = 42
MAX_COUNT = 1_000_000


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise CommandError(f"--owner-id: {value!r} is not a UUID.") from None


class Command(BaseCommand):
    help = "Create realistic demo properties (idempotent; see --help)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--count", type=int, default=DEFAULT_COUNT, help="How many properties (default 60)."
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help="Random seed: the same seed gives the same properties and ids (default 42).",
        )
        parser.add_argument(
            "--owner-id",
            action="append",
            default=[],
            dest="owner_ids",
            metavar="UUID",
            help="An owner (repeatable; properties go round-robin). Default: the demo landlords.",
        )
        parser.add_argument("--no-images", action="store_true", help="Skip the photos (faster).")
        parser.add_argument(
            "--landlords-json",
            action="store_true",
            help="Only print the demo landlords as JSON (for auth_service's seed) and exit.",
        )

    def handle(
        self,
        *args,
        count: int,
        seed: int,
        owner_ids: list[str],
        no_images: bool,
        landlords_json: bool = False,
        **options,
    ):
        if landlords_json:
            self.stdout.write(
                json.dumps(
                    [
                        {
                            "id": str(landlord.id),
                            "email": landlord.email,
                            "full_name": landlord.full_name,
                            "role": "landlord",
                            "password": DEMO_LANDLORD_PASSWORD,
                        }
                        for landlord in DEMO_LANDLORDS
                    ],
                    indent=2,
                )
            )
            return
        if not 0 <= count <= MAX_COUNT:
            raise CommandError(f"--count must be within 0..{MAX_COUNT}.")
        owners = [_uuid(value) for value in owner_ids] or [
            landlord.id for landlord in DEMO_LANDLORDS
        ]
        now = timezone.now()
        today = timezone.localdate(now)

        if not owner_ids:
            self.stdout.write("Demo landlords (register them in auth_service with these ids):")
            for landlord in DEMO_LANDLORDS:
                self.stdout.write(f"  {landlord.id}  {landlord.email}  {landlord.full_name}")
        self.stdout.write(f"Seeding {count} properties (seed {seed}) for {len(owners)} owner(s)...")

        created = []
        for start in range(0, count, BATCH_SIZE):
            batch = [
                seeded_property(seed=seed, index=index, owner_ids=owners, today=today, now=now)
                for index in range(start, min(start + BATCH_SIZE, count))
            ]
            created.extend(services.property_bulk_create(properties=batch))
            self.stdout.write(f"  {start + len(batch)}/{count} properties ({len(created)} new)")

        images = 0
        if not no_images:
            for done, property in enumerate(created, start=1):
                images += self._add_photos(seed=seed, property=property)
                if done % 10 == 0 or done == len(created):
                    self.stdout.write(f"  photos: {done}/{len(created)} properties")

        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {len(created)} new properties ({count - len(created)} already there), "
                f"{images} photos."
            )
        )

    def _add_photos(self, *, seed: int, property) -> int:
        # 1 to 3 photos, the same number for the same property every time.
        photos = 1 + property.id.int % 3
        index = property.id.int  # only feeds the drawing's random generator
        for photo in range(photos):
            services.property_image_add(
                property_id=property.id,
                actor_id=property.owner_id,
                upload=io.BytesIO(seeded_photo(seed=seed, index=index, photo=photo)),
            )
        return photos
