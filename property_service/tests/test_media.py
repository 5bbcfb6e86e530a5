"""GET /media/<path>: the stored images, and nothing else."""

from urllib.parse import unquote

import pytest
from django.conf import settings
from django.utils.encoding import escape_uri_path
from rentezy_platform.trust import gateway_headers

from tests.conftest import image_bytes, make_property, upload_file

pytestmark = pytest.mark.django_db


def media_get(client, path: str, method: str = "GET"):
    # Signed in the canonical form the service rebuilds (see rentezy_platform.trust).
    canonical = escape_uri_path(unquote(path))
    headers = gateway_headers(
        key=settings.GATEWAY_SIGNING_KEY, method=method, path_with_query=canonical
    )
    return client.generic(method, path, headers=headers)


def _public_path(url: str) -> str:
    return url.removeprefix(settings.PUBLIC_BASE_URL)


def test_an_uploaded_image_and_its_thumbnail_are_served(gateway, landlord, media_root):
    property = make_property(landlord)
    uploaded = gateway.upload(
        f"/api/properties/{property.id}/images",
        {"image": upload_file(image_bytes("PNG", mode="RGBA"), "a.png", "image/png")},
        as_=landlord,
    ).json()

    for url in (uploaded["url"], uploaded["thumbnail_url"]):
        path = _public_path(url)
        assert path.startswith("/media/properties/")
        response = media_get(gateway.client, path)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/webp"
        assert response["Cache-Control"] == "public, max-age=31536000, immutable"
        body = b"".join(response.streaming_content)
        assert body == (media_root / path.removeprefix("/media/")).read_bytes()


def test_jpeg_content_type(media_root, client):
    (media_root / "properties").mkdir(parents=True)
    (media_root / "properties" / "x.jpg").write_bytes(image_bytes())
    response = media_get(client, "/media/properties/x.jpg")
    assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")


@pytest.mark.parametrize(
    "path",
    [
        "/media/properties/missing.jpg",
        "/media/../secret.txt",
        "/media/properties/../../secret.txt",
        "/media/..%2fsecret.txt",
        "/media/%2e%2e/secret.txt",
        "/media//etc/passwd",
        "/media/properties/",
        "/media/properties",
    ],
)
def test_nothing_outside_media_root_nor_any_listing_is_served(client, media_root, tmp_path, path):
    (tmp_path / "secret.txt").write_text("do not serve me")
    (media_root / "properties").mkdir(parents=True)
    (media_root / "properties" / "x.jpg").write_bytes(b"x")
    response = media_get(client, path)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found."}


def test_media_is_read_only(client, media_root):
    (media_root / "properties").mkdir(parents=True)
    (media_root / "properties" / "x.jpg").write_bytes(b"x")
    response = media_get(client, "/media/properties/x.jpg", method="DELETE")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert (media_root / "properties" / "x.jpg").exists()


def test_media_needs_the_gateway_signature(client, media_root):
    (media_root / "properties").mkdir(parents=True)
    (media_root / "properties" / "x.jpg").write_bytes(b"x")
    assert client.get("/media/properties/x.jpg").status_code == 401
