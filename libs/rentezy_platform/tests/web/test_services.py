"""rentezy_platform.services.model_update against a real model (PostgreSQL)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rentezy_platform.errors import InvalidInput
from rentezy_platform.services import model_update

from tests.widgets.models import Gadget, Widget

pytestmark = pytest.mark.django_db

FIELDS = ["name", "size", "note", "widgets"]


@pytest.fixture
def gadget() -> Gadget:
    return Gadget.objects.create(
        name="gizmo", size=2, updated_at=timezone.now() - timedelta(days=1)
    )


def test_changed_fields_are_saved_with_updated_at(gadget, django_assert_num_queries):
    before = gadget.updated_at
    with django_assert_num_queries(1):  # the UPDATE; no constraint touches `note`
        instance, updated = model_update(
            instance=gadget, fields=FIELDS, data={"note": "new", "size": 2}
        )
    assert (instance, updated) == (gadget, True)
    fresh = Gadget.objects.get()
    assert (fresh.name, fresh.size, fresh.note) == ("gizmo", 2, "new")
    assert fresh.updated_at > before


def test_only_the_changed_fields_are_written(gadget):
    # Another writer changed `name` meanwhile: an update of `note` leaves it alone.
    Gadget.objects.filter(pk=gadget.pk).update(name="theirs")
    model_update(instance=gadget, fields=FIELDS, data={"name": "gizmo", "note": "mine"})
    fresh = Gadget.objects.get()
    assert (fresh.name, fresh.note) == ("theirs", "mine")


def test_no_change_saves_nothing(gadget, django_assert_num_queries):
    before = gadget.updated_at
    with django_assert_num_queries(0):
        instance, updated = model_update(
            instance=gadget, fields=FIELDS, data={"name": "gizmo", "size": 2}
        )
    assert updated is False
    assert Gadget.objects.get().updated_at == before


def test_updated_at_can_be_left_alone(gadget):
    before = gadget.updated_at
    _, updated = model_update(
        instance=gadget, fields=FIELDS, data={"note": "x"}, auto_updated_at=False
    )
    assert updated is True
    assert Gadget.objects.get().updated_at == before


def test_a_key_outside_the_allowlist_is_refused_and_nothing_changes(gadget):
    with pytest.raises(InvalidInput) as error:
        model_update(instance=gadget, fields=["note"], data={"note": "x", "name": "y", "id": 5})
    assert error.value.fields == {
        "id": ["This field cannot be set."],
        "name": ["This field cannot be set."],
    }
    fresh = Gadget.objects.get()
    assert (fresh.name, fresh.note) == ("gizmo", "")


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"size": 11}, {"size": ["Ensure this value is less than or equal to 10."]}),
        (
            {"name": "x" * 21},
            {"name": ["Ensure this value has at most 20 characters (it has 21)."]},
        ),
        ({"name": "forbidden"}, {"__all__": ["Constraint “gadget_name_allowed” is violated."]}),
    ],
)
def test_an_invalid_value_is_a_validation_error_before_any_write(gadget, data, fields):
    with pytest.raises(ValidationError) as error:
        model_update(instance=gadget, fields=FIELDS, data=data)
    assert error.value.message_dict == fields
    fresh = Gadget.objects.get()
    assert (fresh.name, fresh.size) == ("gizmo", 2)


def test_many_to_many_fields_are_set(gadget):
    widgets = [Widget.objects.create(name=f"w{i}") for i in range(2)]
    _, updated = model_update(instance=gadget, fields=FIELDS, data={"widgets": widgets})
    assert updated is True
    assert set(gadget.widgets.all()) == set(widgets)


def test_an_allowlisted_name_that_is_not_a_field_is_a_programming_error(gadget):
    with pytest.raises(ValueError, match="colour is not a field of Gadget"):
        model_update(instance=gadget, fields=["colour"], data={"colour": "red"})
