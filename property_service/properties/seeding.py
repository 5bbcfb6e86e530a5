"""Realistic demo properties for `manage.py seed`, generated deterministically.

Property `index` of seed `seed` always gets the same id
(`uuid5(SEED_NAMESPACE, "<seed>:<index>")`) and the same content, so seeding
twice adds nothing and the benchmark's 10,000 properties are the same every
run. Only dates are relative to today (an `available_from` in 1998 would look
wrong). Photos are drawn with Pillow (a sky, a building, windows): no
downloads, and they go through the same upload path as a user's
(services.property_image_add), thumbnails included.
"""

from __future__ import annotations

import io
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw, ImageOps

from properties.models import (
    Amenity,
    Property,
    PropertyStatus,
    PropertyType,
    canonical_amenities,
)

SEED_NAMESPACE = uuid.UUID("0f4c6a52-7d2e-4b8e-9a61-3c5d2e8f1b07")


@dataclass(frozen=True, slots=True)
class City:
    name: str
    state: str
    country: str
    currency: str
    latitude: float
    longitude: float
    # A typical monthly rent of a one-bedroom apartment there, in major units.
    one_bedroom_rent: int
    # (neighbourhood, street, postal code)
    areas: tuple[tuple[str, str, str], ...]


CITIES: tuple[City, ...] = (
    City(
        "New York",
        "NY",
        "US",
        "USD",
        40.7128,
        -74.0060,
        3400,
        (
            ("Williamsburg", "Bedford Ave", "11211"),
            ("Upper West Side", "W 86th St", "10024"),
            ("Astoria", "31st Ave", "11106"),
            ("Park Slope", "7th Ave", "11215"),
            ("Chelsea", "W 23rd St", "10011"),
        ),
    ),
    City(
        "San Francisco",
        "CA",
        "US",
        "USD",
        37.7749,
        -122.4194,
        3100,
        (
            ("Mission District", "Valencia St", "94110"),
            ("Noe Valley", "24th St", "94114"),
            ("Inner Sunset", "Irving St", "94122"),
            ("Hayes Valley", "Hayes St", "94102"),
        ),
    ),
    City(
        "Chicago",
        "IL",
        "US",
        "USD",
        41.8781,
        -87.6298,
        1900,
        (
            ("Lincoln Park", "N Halsted St", "60614"),
            ("Wicker Park", "N Milwaukee Ave", "60622"),
            ("Logan Square", "W Fullerton Ave", "60647"),
            ("Hyde Park", "S Woodlawn Ave", "60637"),
        ),
    ),
    City(
        "Austin",
        "TX",
        "US",
        "USD",
        30.2672,
        -97.7431,
        1600,
        (
            ("South Congress", "S Congress Ave", "78704"),
            ("East Austin", "E 6th St", "78702"),
            ("Hyde Park", "Duval St", "78751"),
            ("Zilker", "Barton Springs Rd", "78704"),
        ),
    ),
    City(
        "Seattle",
        "WA",
        "US",
        "USD",
        47.6062,
        -122.3321,
        2200,
        (
            ("Capitol Hill", "E Pine St", "98122"),
            ("Ballard", "NW Market St", "98107"),
            ("Fremont", "N 36th St", "98103"),
            ("Queen Anne", "Queen Anne Ave N", "98109"),
        ),
    ),
    City(
        "Toronto",
        "ON",
        "CA",
        "CAD",
        43.6532,
        -79.3832,
        2500,
        (
            ("The Annex", "Bloor St W", "M5R 2E3"),
            ("Leslieville", "Queen St E", "M4M 1J4"),
            ("Liberty Village", "Liberty St", "M6K 3P6"),
            ("Kensington Market", "Augusta Ave", "M5T 2K6"),
        ),
    ),
    City(
        "Vancouver",
        "BC",
        "CA",
        "CAD",
        49.2827,
        -123.1207,
        2700,
        (
            ("Kitsilano", "W 4th Ave", "V6K 1P5"),
            ("Mount Pleasant", "Main St", "V5T 3G1"),
            ("West End", "Denman St", "V6G 2L9"),
            ("Gastown", "Water St", "V6B 1A6"),
        ),
    ),
    City(
        "London",
        "England",
        "GB",
        "GBP",
        51.5074,
        -0.1278,
        2100,
        (
            ("Islington", "Upper Street", "N1 1QP"),
            ("Clapham", "Clapham High Street", "SW4 7UL"),
            ("Shoreditch", "Curtain Road", "EC2A 3PT"),
            ("Camden", "Camden High Street", "NW1 7JE"),
        ),
    ),
    City(
        "Manchester",
        "England",
        "GB",
        "GBP",
        53.4808,
        -2.2426,
        1100,
        (
            ("Northern Quarter", "Oldham Street", "M1 1JN"),
            ("Didsbury", "Wilmslow Road", "M20 6RT"),
            ("Ancoats", "Blossom Street", "M4 6BF"),
            ("Chorlton", "Beech Road", "M21 9EG"),
        ),
    ),
    City(
        "Berlin",
        "Berlin",
        "DE",
        "EUR",
        52.5200,
        13.4050,
        1300,
        (
            ("Kreuzberg", "Oranienstraße", "10999"),
            ("Prenzlauer Berg", "Kastanienallee", "10435"),
            ("Neukölln", "Weserstraße", "12045"),
            ("Friedrichshain", "Boxhagener Straße", "10245"),
        ),
    ),
    City(
        "Paris",
        "Île-de-France",
        "FR",
        "EUR",
        48.8566,
        2.3522,
        1600,
        (
            ("Le Marais", "Rue de Bretagne", "75003"),
            ("Montmartre", "Rue Lepic", "75018"),
            ("Canal Saint-Martin", "Quai de Valmy", "75010"),
            ("Batignolles", "Rue des Batignolles", "75017"),
        ),
    ),
    City(
        "Amsterdam",
        "North Holland",
        "NL",
        "EUR",
        52.3676,
        4.9041,
        1900,
        (
            ("Jordaan", "Prinsengracht", "1015 DV"),
            ("De Pijp", "Albert Cuypstraat", "1072 CN"),
            ("Oud-West", "Kinkerstraat", "1053 EB"),
            ("Oost", "Linnaeusstraat", "1091 AB"),
        ),
    ),
    City(
        "Barcelona",
        "Catalonia",
        "ES",
        "EUR",
        41.3851,
        2.1734,
        1300,
        (
            ("Gràcia", "Carrer de Verdi", "08012"),
            ("El Born", "Carrer del Rec", "08003"),
            ("Eixample", "Carrer de Mallorca", "08037"),
            ("Poblenou", "Rambla del Poblenou", "08005"),
        ),
    ),
    City(
        "Lisbon",
        "Lisboa",
        "PT",
        "EUR",
        38.7223,
        -9.1393,
        1200,
        (
            ("Alfama", "Rua de São Miguel", "1100-538"),
            ("Príncipe Real", "Rua da Escola Politécnica", "1250-100"),
            ("Santos", "Rua das Janelas Verdes", "1200-690"),
            ("Campo de Ourique", "Rua Ferreira Borges", "1350-137"),
        ),
    ),
    City(
        "Sydney",
        "NSW",
        "AU",
        "AUD",
        -33.8688,
        151.2093,
        2900,
        (
            ("Surry Hills", "Crown Street", "2010"),
            ("Bondi", "Campbell Parade", "2026"),
            ("Newtown", "King Street", "2042"),
            ("Balmain", "Darling Street", "2041"),
        ),
    ),
)

# (type, weight, bedrooms range, rent factor against a one-bedroom)
_TYPES: tuple[tuple[str, int, tuple[int, int], float], ...] = (
    (PropertyType.APARTMENT, 45, (1, 3), 1.0),
    (PropertyType.STUDIO, 14, (0, 0), 0.78),
    (PropertyType.CONDO, 12, (1, 3), 1.1),
    (PropertyType.HOUSE, 11, (2, 5), 1.05),
    (PropertyType.TOWNHOUSE, 10, (2, 4), 1.05),
    (PropertyType.ROOM, 8, (1, 1), 0.45),
)
# How much each bedroom beyond the first adds to the rent.
_BEDROOM_STEP = 0.32

_ADJECTIVES = (
    "Bright",
    "Sunny",
    "Spacious",
    "Cosy",
    "Modern",
    "Charming",
    "Renovated",
    "Quiet",
    "Stylish",
    "Light-filled",
)
_TYPE_AMENITIES = {
    PropertyType.APARTMENT: (Amenity.ELEVATOR, Amenity.BALCONY, Amenity.DOORMAN, Amenity.GYM),
    PropertyType.STUDIO: (Amenity.FURNISHED, Amenity.ELEVATOR, Amenity.WIFI),
    PropertyType.CONDO: (Amenity.POOL, Amenity.GYM, Amenity.DOORMAN, Amenity.ELEVATOR),
    PropertyType.HOUSE: (Amenity.GARDEN, Amenity.PARKING, Amenity.FIREPLACE, Amenity.STORAGE),
    PropertyType.TOWNHOUSE: (Amenity.GARDEN, Amenity.PARKING, Amenity.TERRACE),
    PropertyType.ROOM: (Amenity.FURNISHED, Amenity.WIFI),
}
_COMMON_AMENITIES = (
    Amenity.HEATING,
    Amenity.WASHER,
    Amenity.DRYER,
    Amenity.DISHWASHER,
    Amenity.AIR_CONDITIONING,
    Amenity.PETS_ALLOWED,
    Amenity.WIFI,
    Amenity.STORAGE,
    Amenity.EV_CHARGING,
    Amenity.WHEELCHAIR_ACCESS,
)
_AMENITY_PHRASES = {
    Amenity.BALCONY: "a balcony for morning coffee",
    Amenity.GARDEN: "a private garden",
    Amenity.TERRACE: "a roof terrace",
    Amenity.PARKING: "off-street parking",
    Amenity.POOL: "a residents' pool",
    Amenity.GYM: "a gym in the building",
    Amenity.FIREPLACE: "a working fireplace",
    Amenity.DOORMAN: "a 24-hour doorman",
    Amenity.DISHWASHER: "a dishwasher",
    Amenity.WASHER: "an in-unit washer",
    Amenity.EV_CHARGING: "EV charging",
}
_STATUSES = ((PropertyStatus.LISTED, 86), (PropertyStatus.DRAFT, 8), (PropertyStatus.RENTED, 6))

# Palettes of the drawn photos: (sky top, sky bottom, wall, roof).
_PALETTES = (
    ((70, 130, 200), (200, 225, 245), (236, 222, 198), (150, 70, 55)),
    ((250, 160, 110), (255, 225, 180), (210, 205, 200), (80, 85, 95)),
    ((110, 170, 220), (225, 240, 250), (190, 120, 95), (60, 60, 70)),
    ((40, 60, 110), (120, 140, 190), (225, 215, 190), (110, 60, 50)),
    ((135, 200, 210), (235, 248, 240), (245, 240, 230), (70, 110, 90)),
)


def seeded_property_id(*, seed: int, index: int) -> uuid.UUID:
    return uuid.uuid5(SEED_NAMESPACE, f"{seed}:{index}")


def _round_to(value: float, step: int) -> int:
    return max(step, int(round(value / step)) * step)


def _description(
    rng: random.Random,
    *,
    adjective: str,
    kind: str,
    bedrooms: int,
    area: str,
    street: str,
    city: City,
    amenities: Sequence[str],
) -> str:
    size = "studio" if bedrooms == 0 else f"{bedrooms}-bedroom {kind}"
    if kind == PropertyType.ROOM:
        size = "double room in a friendly shared flat"
    sentences = [
        f"A {adjective.lower()} {size} on {street}, in the heart of {area}.",
        rng.choice(
            (
                "Large windows fill the living space with light all day.",
                "The open-plan kitchen and living room make it easy to host friends.",
                "Original details sit alongside a recently renovated kitchen and bathroom.",
                "High ceilings and wooden floors throughout.",
            )
        ),
    ]
    extras = [_AMENITY_PHRASES[a] for a in amenities if a in _AMENITY_PHRASES]
    if extras:
        listed = extras[:3]
        text = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + f" and {listed[-1]}"
        sentences.append(f"Extras include {text}.")
    sentences.append(
        rng.choice(
            (
                f"Cafés, shops and public transport are a few minutes' walk away; central {city.name} is {rng.randint(8, 30)} minutes by transit.",
                f"{area} is one of {city.name}'s most loved neighbourhoods, with parks and markets nearby.",
                "Quiet street, friendly neighbours, and everything you need within walking distance.",
            )
        )
    )
    if Amenity.PETS_ALLOWED in amenities:
        sentences.append("Pets are welcome.")
    return " ".join(sentences)


def seeded_property(
    *, seed: int, index: int, owner_ids: Sequence[uuid.UUID], today: date, now: datetime
) -> Property:
    """Demo property `index` of `seed` (unsaved); the same every time but for dates."""
    rng = random.Random(f"rentezy-seed:{seed}:{index}")
    city = CITIES[rng.randrange(len(CITIES))]
    area, street, postal_code = rng.choice(city.areas)
    kind, _, (low, high), factor = rng.choices(_TYPES, weights=[t[1] for t in _TYPES])[0]
    bedrooms = rng.randint(low, high)
    # One bathroom per one or two bedrooms, in half steps, at most four.
    fewest, most = max(1, bedrooms // 2), max(1, min(bedrooms, 4))
    bathrooms = Decimal(rng.randint(fewest * 2, most * 2)) / 2
    if kind == PropertyType.ROOM:
        bathrooms = Decimal(1)
    extra_bedrooms = max(0, bedrooms - 1)
    rent = city.one_bedroom_rent * factor * (1 + _BEDROOM_STEP * extra_bedrooms)
    rent *= rng.uniform(0.85, 1.2)
    monthly_rent = _round_to(rent, 25)
    deposit = rng.choice((0, 1, 1, 1, 2)) * monthly_rent
    area_sqft = None
    if rng.random() < 0.9:
        base = {0: 420, 1: 650}.get(bedrooms, 650 + 320 * extra_bedrooms)
        if kind == PropertyType.ROOM:
            base = 160
        area_sqft = _round_to(base * rng.uniform(0.8, 1.3), 5)
    amenities = set(rng.sample(_TYPE_AMENITIES[kind], k=rng.randint(1, 2)))
    amenities.update(rng.sample(_COMMON_AMENITIES, k=rng.randint(2, 5)))
    amenities = canonical_amenities([str(a) for a in amenities])
    adjective = rng.choice(_ADJECTIVES)
    if kind == PropertyType.STUDIO:
        title = f"{adjective} studio in {area}"
    elif kind == PropertyType.ROOM:
        title = f"Room in a shared flat in {area}"
    else:
        title = f"{adjective} {bedrooms}-bedroom {kind} in {area}"
    status = rng.choices([s for s, _ in _STATUSES], weights=[w for _, w in _STATUSES])[0]
    # A few km around the city centre (0.01° of latitude ≈ 1.1 km).
    latitude = Decimal(str(round(city.latitude + rng.uniform(-0.03, 0.03), 6)))
    longitude = Decimal(str(round(city.longitude + rng.uniform(-0.04, 0.04), 6)))
    created_at = now - timedelta(minutes=rng.randint(0, 60 * 24 * 60))
    available_from = None if rng.random() < 0.2 else today + timedelta(days=rng.randint(0, 75))
    return Property(
        id=seeded_property_id(seed=seed, index=index),
        owner_id=owner_ids[index % len(owner_ids)],
        title=title,
        description=_description(
            rng,
            adjective=adjective,
            kind=kind,
            bedrooms=bedrooms,
            area=area,
            street=street,
            city=city,
            amenities=amenities,
        ),
        property_type=kind,
        address_line1=f"{rng.randint(1, 480)} {street}",
        city=city.name,
        state=city.state,
        postal_code=postal_code,
        country=city.country,
        latitude=latitude,
        longitude=longitude,
        bedrooms=bedrooms,
        bathrooms=bathrooms,
        area_sqft=area_sqft,
        monthly_rent_minor=monthly_rent * 100,
        deposit_minor=deposit * 100,
        currency=city.currency,
        amenities=amenities,
        available_from=available_from,
        status=status,
        created_at=created_at,
        updated_at=created_at,
    )


def seeded_photo(
    *, seed: int, index: int, photo: int, size: tuple[int, int] = (1200, 800)
) -> bytes:
    """A pleasant drawn 'photo' of a building (JPEG bytes), the same for the same arguments."""
    rng = random.Random(f"rentezy-photo:{seed}:{index}:{photo}")
    width, height = size
    sky_top, sky_bottom, wall, roof = rng.choice(_PALETTES)
    gradient = Image.linear_gradient("L").resize((width, height))
    image = ImageOps.colorize(gradient, black=sky_top, white=sky_bottom).convert("RGB")
    draw = ImageDraw.Draw(image)
    # Sun, ground, then one building with a roof, windows and a door.
    sun_x, sun_y, sun_r = (
        rng.randint(80, width - 80),
        rng.randint(60, height // 3),
        rng.randint(30, 60),
    )
    draw.ellipse((sun_x - sun_r, sun_y - sun_r, sun_x + sun_r, sun_y + sun_r), fill=(255, 236, 170))
    ground = int(height * rng.uniform(0.78, 0.86))
    draw.rectangle((0, ground, width, height), fill=(96, 150, 90))
    left = rng.randint(width // 8, width // 3)
    right = width - rng.randint(width // 8, width // 3)
    top = rng.randint(height // 4, height // 2)
    draw.rectangle((left, top, right, ground), fill=wall)
    draw.polygon(
        [(left - 30, top), ((left + right) // 2, top - rng.randint(70, 140)), (right + 30, top)],
        fill=roof,
    )
    columns, rows = rng.randint(3, 5), max(1, (ground - top - 60) // 110)
    cell = (right - left) // columns
    lit = rng.choice(((200, 225, 240), (255, 226, 150)))
    for row in range(rows):
        for column in range(columns):
            x = left + column * cell + cell // 4
            y = top + 30 + row * 110
            draw.rectangle((x, y, x + cell // 2, y + 60), fill=lit, outline=(70, 70, 70), width=3)
    door_x = (left + right) // 2
    draw.rectangle((door_x - 28, ground - 90, door_x + 28, ground), fill=roof)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()
