"""rentezy_platform.errors.InvalidInput: 400 `invalid` naming the fields."""

from rentezy_platform.errors import ApplicationError, InvalidInput
from rentezy_platform.testing import SignedClient


def test_invalid_input_is_an_application_error_with_fields():
    error = InvalidInput(fields={"owner": ["Bad."]})
    assert isinstance(error, ApplicationError)
    assert (error.code, error.message, error.status, error.fields) == (
        "invalid",
        "Invalid input.",
        400,
        {"owner": ["Bad."]},
    )
    assert InvalidInput(fields={}, message="Bad dates.").message == "Bad dates."


def test_invalid_input_renders_in_the_error_shape():
    response = SignedClient(run_on_commit=False).get("/api/fail/invalid_input")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "Invalid input.",
        "fields": {"owner": ['The only value is "me".']},
    }
