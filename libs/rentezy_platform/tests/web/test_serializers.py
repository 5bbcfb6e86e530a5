"""rentezy_platform.serializers: strict bodies and query filters, as a view uses them."""

import pytest
from rentezy_platform.testing import SignedClient

STRICT = "/api/strict"
POSITIVE = "A positive integer is required."


@pytest.fixture
def api() -> SignedClient:
    return SignedClient(run_on_commit=False)


def invalid(fields):
    return {"code": "invalid", "message": "Invalid input.", "fields": fields}


def test_a_body_with_the_declared_fields_passes(api):
    response = api.post(STRICT, {"name": "ada", "email": "ada@example.com"})
    assert (response.status_code, response.json()) == (
        200,
        {"name": "ada", "email": "ada@example.com"},
    )


def test_unknown_and_read_only_keys_are_named(api):
    response = api.post(STRICT, {"name": "ada", "id": "x", "nmae": "typo"})
    assert response.status_code == 400
    assert response.json() == invalid(
        {"id": ["This field cannot be set."], "nmae": ["Unknown field."]}
    )


def test_refused_keys_come_with_the_other_field_errors(api):
    response = api.post(STRICT, {"name": "far too long a name", "created_at": "2020-01-01"})
    assert response.status_code == 400
    assert response.json() == invalid(
        {
            "name": ["Ensure this field has no more than 10 characters."],
            "created_at": ["This field cannot be set."],
        }
    )


@pytest.mark.parametrize("value", [5, 1.5, True, ["ada"], {"a": 1}])
def test_string_fields_take_json_strings_only(api, value):
    response = api.post(STRICT, {"name": value})
    assert response.status_code == 400
    assert response.json() == invalid({"name": ["Not a valid string."]})


@pytest.mark.parametrize("value", [5, "not-an-email"])
def test_the_strict_email_field_takes_email_strings_only(api, value):
    response = api.post(STRICT, {"name": "ada", "email": value})
    assert response.status_code == 400
    assert response.json() == invalid({"email": ["Enter a valid email address."]})


def test_a_body_that_is_not_an_object_is_invalid(api):
    response = api.post(STRICT, ["name"])
    assert response.status_code == 400
    assert response.json() == invalid(
        {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
    )


def test_filters_validate_query_parameters_and_apply_defaults(api):
    assert api.get(f"{STRICT}?owner=me&limit=5&page=3&page_size=7").json() == {
        "owner": "me",
        "limit": 5,
        "page": 3,
        "page_size": 7,
    }
    assert api.get(STRICT).json() == {"limit": 2}
    # Parameters nobody declared are ignored (trackers add their own).
    assert api.get(f"{STRICT}?utm_source=x").json() == {"limit": 2}
    # One value per parameter: the last.
    assert api.get(f"{STRICT}?limit=1&limit=3").json() == {"limit": 3}


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("owner=you", {"owner": ['"you" is not a valid choice.']}),
        # Given but empty is a bad value, not an absent one.
        ("owner=", {"owner": ['"" is not a valid choice.']}),
        ("limit=", {"limit": ["A valid integer is required."]}),
        ("limit=0", {"limit": ["Ensure this value is greater than or equal to 1."]}),
        ("limit=x", {"limit": ["A valid integer is required."]}),
        ("page=0", {"page": ["A positive integer is required."]}),
        ("page=x&page_size=-1", {"page": [POSITIVE], "page_size": [POSITIVE]}),
        (
            "owner=x&limit=9",
            {
                "owner": ['"x" is not a valid choice.'],
                "limit": ["Ensure this value is less than or equal to 5."],
            },
        ),
    ],
)
def test_bad_query_parameters_are_400_naming_them(api, query, fields):
    response = api.get(f"{STRICT}?{query}")
    assert response.status_code == 400
    assert response.json() == invalid(fields)
