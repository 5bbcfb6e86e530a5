"""rentezy_platform.parsing: path ids and bearer headers."""

import uuid

import pytest
from rentezy_platform.errors import NotFound
from rentezy_platform.parsing import bearer_token, parse_uuid, uuid_or_none
from rentezy_platform.testing import SignedClient

ID = uuid.UUID("3f1c2a9e-0000-4000-8000-000000000001")


@pytest.mark.parametrize("value", [ID, str(ID), str(ID).upper(), "{" + str(ID) + "}", ID.hex])
def test_uuid_or_none_reads_a_uuid_in_any_spelling(value):
    assert uuid_or_none(value) == ID


@pytest.mark.parametrize("value", ["nope", "", None, 5, str(ID)[:-1], b"\x00" * 16])
def test_uuid_or_none_is_none_for_anything_else(value):
    assert uuid_or_none(value) is None


def test_parse_uuid_returns_the_uuid():
    assert parse_uuid(str(ID)) == ID


@pytest.mark.parametrize("value", ["nope", "", None, "1"])
def test_parse_uuid_is_not_found_for_a_non_uuid(value):
    with pytest.raises(NotFound):
        parse_uuid(value)


def test_a_non_uuid_path_id_is_404_not_found():
    api = SignedClient(run_on_commit=False)
    assert api.get(f"/api/things/{ID}").json() == {"id": str(ID)}
    response = api.get("/api/things/not-a-uuid")
    assert (response.status_code, response.json()) == (
        404,
        {"code": "not_found", "message": "Not found."},
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer abc", "abc"),
        ("BEARER abc", "abc"),
        ("  Bearer   abc  ", "abc"),
        (b"Bearer abc", "abc"),
        (b"Bearer \xe9", "\xe9"),
        ("Basic abc", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("Bearer a b", None),
        ("Bearer a\tb", None),
        ("Bearerabc", None),
        ("", None),
        (b"", None),
        (None, None),
    ],
)
def test_bearer_token(header, expected):
    assert bearer_token(header) == expected
