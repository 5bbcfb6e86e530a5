"""Parsing of request values every service reads the same way.

- `parse_uuid(value)`: a path id as a UUID, or 404 `not_found` (API.md: "an
  unknown or non-UUID id in a path gets 404"), so a malformed id and a missing
  one are indistinguishable.
- `uuid_or_none(value)`: the same parse for values that are not path ids (an
  identity from the gateway, an optional reference), where the caller decides
  what an unparseable one means.
- `bearer_token(value)`: the token of an `Authorization: Bearer <token>` header.
"""

from __future__ import annotations

import uuid

from rentezy_platform.errors import NotFound


def uuid_or_none(value: object) -> uuid.UUID | None:
    """`value` as a UUID (any case, with or without braces or dashes), or None."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def parse_uuid(value: object) -> uuid.UUID:
    """A path id as a UUID; NotFound (404 `not_found`) when it is not one."""
    parsed = uuid_or_none(value)
    if parsed is None:
        raise NotFound()
    return parsed


def bearer_token(value: str | bytes | None) -> str | None:
    """The token of an `Authorization` header value `Bearer <token>`, or None.

    The scheme is case-insensitive and surrounding whitespace is ignored; the
    token itself is one run of non-whitespace characters (`Bearer a b`, `Bearer`,
    `Basic ...` are None). Bytes (a raw ASGI header) are read as latin-1, the
    encoding HTTP headers are defined in."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    scheme, _, token = text.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token.split()) != 1:
        return None
    return token
