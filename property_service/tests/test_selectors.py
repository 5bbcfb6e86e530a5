"""properties/selectors.py: who sees what, in which order, in how many queries."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from properties import selectors, services
from properties.models import Property
from rentezy_platform.errors import NotFound
from rentezy_platform.testing import Caller

from tests.conftest import make_property

pytestmark = pytest.mark.django_db


def _aged(property: Property, *, minutes: int) -> Property:
    """Pretend it was created `minutes` ago (ordering tests)."""
    created = timezone.now() - timedelta(minutes=minutes)
    Property.objects.filter(pk=property.pk).update(created_at=created)
    return property


def test_property_list_listed_is_listed_only_newest_first(landlord):
    old = _aged(make_property(landlord, title="Old"), minutes=30)
    new = _aged(make_property(landlord, title="New"), minutes=1)
    make_property(landlord, status="draft")
    make_property(landlord, status="rented")
    archived = make_property(landlord)
    services.property_archive(property_id=archived.id, actor_id=landlord.user_id)

    assert [p.id for p in selectors.property_list_listed()] == [new.id, old.id]


def test_same_instant_is_ordered_by_id_so_pages_are_stable(landlord):
    properties = [make_property(landlord) for _ in range(3)]
    Property.objects.update(created_at=timezone.now())
    expected = sorted((p.id for p in properties), reverse=True)
    assert [p.id for p in selectors.property_list_listed()] == expected


def test_property_list_owned_is_every_status_of_the_owner(landlord, other_landlord):
    listed = _aged(make_property(landlord), minutes=4)
    draft = _aged(make_property(landlord, status="draft"), minutes=3)
    rented = _aged(make_property(landlord, status="rented"), minutes=2)
    archived = _aged(make_property(landlord), minutes=1)
    services.property_archive(property_id=archived.id, actor_id=landlord.user_id)
    make_property(other_landlord)

    owned = selectors.property_list_owned(owner_id=landlord.user_id)

    assert [p.id for p in owned] == [archived.id, rented.id, draft.id, listed.id]


def test_listing_a_page_with_images_takes_two_queries(landlord, django_assert_num_queries):
    for _ in range(3):
        make_property(landlord)
    with django_assert_num_queries(2):
        properties = list(selectors.property_list_listed())
        assert [list(p.images.all()) for p in properties] == [[], [], []]


@pytest.mark.parametrize("status", ["listed", "rented"])
def test_public_properties_are_visible_to_anyone(landlord, status):
    property = make_property(landlord, status=status)
    for viewer in (None, Caller.new("tenant").user_id, landlord.user_id):
        assert selectors.property_get_visible(property_id=property.id, viewer_id=viewer) == property


@pytest.mark.parametrize("archive", [False, True])
def test_drafts_and_archived_properties_are_the_owners_only(landlord, archive):
    property = make_property(landlord, status="draft")
    if archive:
        services.property_archive(property_id=property.id, actor_id=landlord.user_id)

    found = selectors.property_get_visible(property_id=str(property.id), viewer_id=landlord.user_id)
    assert found.id == property.id
    for viewer in (None, Caller.new("tenant").user_id, Caller.new("landlord").user_id):
        with pytest.raises(NotFound):
            selectors.property_get_visible(property_id=property.id, viewer_id=viewer)


@pytest.mark.parametrize("property_id", [uuid.uuid4(), "not-a-uuid", "", "1" * 40])
def test_unknown_and_malformed_ids_are_not_found(property_id):
    with pytest.raises(NotFound):
        selectors.property_get_visible(property_id=property_id, viewer_id=None)


def test_property_export_page_walks_every_property_in_id_order(landlord):
    made = [make_property(landlord) for _ in range(5)]
    services.property_archive(property_id=made[0].id, actor_id=landlord.user_id)
    make_property(landlord, status="draft")
    all_ids = sorted(Property.objects.values_list("id", flat=True))

    first, after = selectors.property_export_page(after=None, limit=4)
    assert [p.id for p in first] == all_ids[:4]
    assert after == all_ids[3]
    second, after = selectors.property_export_page(after=after, limit=4)
    assert [p.id for p in second] == all_ids[4:]
    assert after is None


def test_property_export_page_knows_an_exact_last_page(landlord):
    for _ in range(3):
        make_property(landlord)
    page, after = selectors.property_export_page(after=None, limit=3)
    assert (len(page), after) == (3, None)


def test_property_export_page_is_one_query(landlord, django_assert_num_queries):
    for _ in range(3):
        make_property(landlord)
    with django_assert_num_queries(1):
        selectors.property_export_page(after=None, limit=2)
