"""properties/images.py and POST /api/properties/{id}/images: only real JPEG,
PNG and WebP images get in, and only our own re-encoded copies are stored."""

import io
import re
import struct
import zlib

import pytest
from PIL import Image
from properties import images, services
from properties.models import Property, PropertyImage
from rentezy_platform.errors import ApplicationError
from rentezy_platform.events import validate_event
from rentezy_platform.outbox.models import OutboxMessage
from rentezy_platform.testing import outbox_events

from tests.conftest import PUBLIC_BASE_URL, image_bytes, make_property, upload_file

pytestmark = pytest.mark.django_db

UPDATED = "rentezy.property.updated.v1"
NOT_AN_IMAGE = "Upload a JPEG, PNG or WebP image."
CORRUPT = "The image is corrupt or truncated."


def images_path(property_id) -> str:
    return f"/api/properties/{property_id}/images"


def stored_files(media_root) -> list:
    return sorted(p for p in media_root.rglob("*") if p.is_file())


def _exif_jpeg(size=(400, 200), orientation=6) -> bytes:
    """Left half red, right half blue, with an orientation and private EXIF."""
    image = Image.new("RGB", size, (220, 20, 20))
    image.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPS
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), quality=95)
    return buffer.getvalue()


def _png_bomb(width=100_000, height=100_000) -> bytes:
    """A tiny PNG that claims to be `width` x `height` (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


# --- image_encode -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_each_accepted_format_is_reencoded_as_jpeg(fmt):
    encoded = images.image_encode(image_bytes(fmt, size=(640, 480)))
    assert (encoded.extension, encoded.width, encoded.height) == ("jpg", 640, 480)
    with Image.open(io.BytesIO(encoded.content)) as stored:
        assert (stored.format, stored.size) == ("JPEG", (640, 480))
    with Image.open(io.BytesIO(encoded.thumbnail)) as thumbnail:
        assert (thumbnail.format, thumbnail.size) == ("JPEG", (400, 300))


@pytest.mark.parametrize(
    ("size", "display"),
    [
        ((3000, 2000), (1600, 1067)),
        ((1200, 4000), (480, 1600)),
        ((1600, 1600), (1600, 1600)),
        ((80, 60), (80, 60)),
    ],
)
def test_the_display_copy_fits_1600_and_the_thumbnail_is_exactly_400x300(size, display):
    encoded = images.image_encode(image_bytes("PNG", size=size))
    assert (encoded.width, encoded.height) == display
    with Image.open(io.BytesIO(encoded.content)) as stored:
        assert stored.size == display
    with Image.open(io.BytesIO(encoded.thumbnail)) as thumbnail:
        assert thumbnail.size == (400, 300)


def test_exif_is_removed_and_the_orientation_applied():
    data = _exif_jpeg()
    with Image.open(io.BytesIO(data)) as original:  # the fixture really carries EXIF
        assert original.getexif()[0x010F] == "SecretCameraMaker"

    encoded = images.image_encode(data)

    # Orientation 6: displayed rotated 90° clockwise, so 400x200 becomes 200x400
    # and the left (red) half ends up on top.
    assert (encoded.width, encoded.height) == (200, 400)
    for content in (encoded.content, encoded.thumbnail):
        assert b"Exif" not in content
        assert b"SecretCameraMaker" not in content
        with Image.open(io.BytesIO(content)) as stored:
            assert dict(stored.getexif()) == {}
            assert "exif" not in stored.info
    with Image.open(io.BytesIO(encoded.content)) as stored:
        top = stored.getpixel((100, 50))
        bottom = stored.getpixel((100, 350))
        assert top[0] > 150 and top[2] < 100, top
        assert bottom[2] > 150 and bottom[0] < 100, bottom


def test_transparent_images_stay_transparent_as_webp():
    encoded = images.image_encode(image_bytes("PNG", size=(300, 200), mode="RGBA"))
    assert encoded.extension == "webp"
    with Image.open(io.BytesIO(encoded.content)) as stored:
        assert (stored.format, stored.mode) == ("WEBP", "RGBA")


def test_an_opaque_rgba_png_becomes_a_jpeg():
    image = Image.new("RGBA", (50, 50), (10, 200, 10, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    assert images.image_encode(buffer.getvalue()).extension == "jpg"


def _truncated_jpeg() -> bytes:
    data = image_bytes("JPEG", size=(800, 600), quality=95)
    return data[: len(data) // 2]


def _bad_crc_png() -> bytes:
    data = bytearray(image_bytes("PNG", size=(32, 32)))
    data[-13] ^= 0xFF  # inside the last IDAT chunk's CRC (IEND is the last 12 bytes)
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", NOT_AN_IMAGE),
        (b"\x00" * 1000, NOT_AN_IMAGE),
        (b"hello, I am a text file pretending to be a JPEG\n" * 20, NOT_AN_IMAGE),
        (b"\xff\xd8\xff\xe0 only a JPEG signature", CORRUPT),
        (image_bytes("GIF"), NOT_AN_IMAGE),
        (image_bytes("BMP"), NOT_AN_IMAGE),
        (image_bytes("TIFF"), NOT_AN_IMAGE),
        (_truncated_jpeg(), CORRUPT),
        (_bad_crc_png(), CORRUPT),
    ],
    ids=["empty", "zeros", "text", "jpeg-signature", "gif", "bmp", "tiff", "truncated", "bad-crc"],
)
def test_anything_but_a_valid_jpeg_png_or_webp_is_refused(data, message):
    with pytest.raises(ApplicationError) as error:
        images.image_encode(data)
    assert (error.value.code, error.value.fields) == ("invalid", {"image": [message]})


def test_a_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(ApplicationError) as error:
        images.image_encode(_png_bomb())
    assert error.value.fields == {"image": ["The image is too large: at most 24000000 pixels."]}


def test_the_pixel_limit_is_a_setting(settings):
    settings.PROPERTY_IMAGE_MAX_PIXELS = 10_000
    with pytest.raises(ApplicationError) as error:
        images.image_encode(image_bytes("PNG", size=(101, 100)))
    assert error.value.fields == {"image": ["The image is too large: at most 10000 pixels."]}
    assert images.image_encode(image_bytes("PNG", size=(100, 100))).width == 100


# --- memory bounds (issue 8) ---------------------------------------------------------


def _header_only_png(width: int, height: int) -> bytes:
    """A valid PNG header claiming `width` x `height` (pixel data never read)."""
    return _png_bomb(width, height)


def test_the_default_caps_fit_listing_photos(settings):
    """24 MP for PNG/WebP/progressive JPEG, 52 MP for baseline JPEG (48-50 MP phones)."""
    assert (settings.PROPERTY_IMAGE_MAX_PIXELS, settings.PROPERTY_IMAGE_MAX_JPEG_PIXELS) == (
        24_000_000,
        52_000_000,
    )
    assert (settings.PROPERTY_IMAGE_DECODE_CONCURRENCY, settings.PROPERTY_IMAGE_DECODE_QUEUE) == (
        2,
        1,
    )


def test_a_7000_square_png_is_refused_from_its_header():
    with pytest.raises(ApplicationError) as error:
        images.image_encode(_header_only_png(7000, 7000))
    assert (error.value.code, error.value.fields) == (
        "invalid",
        {"image": ["The image is too large: at most 24000000 pixels."]},
    )


def test_baseline_jpeg_has_its_own_higher_cap_and_progressive_jpeg_has_not(settings):
    settings.PROPERTY_IMAGE_MAX_PIXELS = 10_000
    settings.PROPERTY_IMAGE_MAX_JPEG_PIXELS = 40_000
    baseline = image_bytes("JPEG", size=(200, 200))
    progressive = image_bytes("JPEG", size=(200, 200), progressive=True)
    assert images.image_encode(baseline).width == 200
    with pytest.raises(ApplicationError) as error:
        images.image_encode(progressive)
    assert error.value.fields == {"image": ["The image is too large: at most 10000 pixels."]}
    with pytest.raises(ApplicationError) as error:
        images.image_encode(image_bytes("JPEG", size=(201, 200)))
    assert error.value.fields == {"image": ["The image is too large: at most 40000 pixels."]}
    with pytest.raises(ApplicationError) as error:
        images.image_encode(image_bytes("WEBP", size=(101, 100)))
    assert error.value.fields == {"image": ["The image is too large: at most 10000 pixels."]}


def test_a_large_baseline_jpeg_decodes_at_reduced_scale(monkeypatch):
    """A 6400x4800 JPEG is decoded by libjpeg at 1/2 scale (3200x2400), never in full."""
    decoded_sizes = []
    real_load = images._load

    def spy(image):
        real_load(image)
        decoded_sizes.append(image.size)

    monkeypatch.setattr(images, "_load", spy)
    encoded = images.image_encode(image_bytes("JPEG", size=(6400, 4800)))
    assert decoded_sizes == [(3200, 2400)]
    assert (encoded.width, encoded.height) == (1600, 1200)


def test_orientation_is_applied_after_shrinking():
    """A 4000x2000 photo with orientation 6 (rotate 90) is stored upright, 800x1600."""
    encoded = images.image_encode(_exif_jpeg(size=(4000, 2000), orientation=6))
    with Image.open(io.BytesIO(encoded.content)) as stored:
        assert stored.size == (800, 1600)
        assert "exif" not in stored.info
        # Orientation 6: the left (red) half ends up on top.
        red, _, blue = stored.convert("RGB").getpixel((400, 200))
        assert red > 180 and blue < 80


def test_decodes_wait_for_a_slot_then_answer_busy(settings, monkeypatch):
    """With both decode slots taken, one upload may wait (up to the setting) and
    gets 503 `busy` if none frees up; a second waiter is refused at once."""
    import threading
    import time

    settings.PROPERTY_IMAGE_DECODE_WAIT_SECONDS = 0.5
    slots = images._DecodeSlots(concurrency=2, queue=1)
    monkeypatch.setattr(images, "_decode_slots", slots)
    held = [slots.slot(wait=0) for _ in range(2)]
    for context in held:
        context.__enter__()
    waiter_error = []

    def waiter():
        try:
            images.image_encode(image_bytes("PNG", size=(100, 100)))
        except images.ImagesBusy as exc:
            waiter_error.append(exc)

    thread = threading.Thread(target=waiter)
    started = time.monotonic()
    thread.start()
    time.sleep(0.1)
    # The queue (1) is full: a further upload is refused without waiting.
    with pytest.raises(images.ImagesBusy) as error:
        images.image_encode(image_bytes("PNG", size=(100, 100)))
    assert time.monotonic() - started < 0.4
    assert (error.value.status_code, error.value.default_code, error.value.wait) == (503, "busy", 2)
    thread.join()
    assert 0.5 <= time.monotonic() - started < 3
    assert len(waiter_error) == 1
    held[0].__exit__(None, None, None)
    assert images.image_encode(image_bytes("PNG", size=(100, 100))).width == 100
    # Everything given back but the slot still held here.
    assert slots.decoding.acquire(timeout=0) is True
    assert slots.decoding.acquire(timeout=0) is False
    assert [slots.admitted.acquire(timeout=0) for _ in range(3)] == [True, True, False]


def test_a_refused_image_takes_no_slot(monkeypatch):
    slots = images._DecodeSlots(concurrency=1, queue=0)
    monkeypatch.setattr(images, "_decode_slots", slots)
    with pytest.raises(ApplicationError):
        images.image_encode(_header_only_png(7000, 7000))
    with pytest.raises(ApplicationError):
        images.image_encode(_truncated_jpeg())
    assert slots.decoding.acquire(timeout=0) is True


def test_busy_is_503_in_the_error_shape_with_retry_after(
    gateway, landlord, media_root, settings, monkeypatch
):

    settings.PROPERTY_IMAGE_DECODE_WAIT_SECONDS = 0.05
    slots = images._DecodeSlots(concurrency=1, queue=1)
    monkeypatch.setattr(images, "_decode_slots", slots)
    assert slots.decoding.acquire(timeout=0)
    property = make_property(landlord)
    response = gateway.upload(
        images_path(property.id), {"image": upload_file(image_bytes("JPEG"))}, as_=landlord
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.json() == {
        "code": "busy",
        "message": "Too many images are being processed; please try again shortly.",
    }
    assert PropertyImage.objects.count() == 0
    assert stored_files(media_root) == []


def test_image_read_upload_limits_the_size(settings):
    settings.PROPERTY_IMAGE_MAX_BYTES = 10
    assert images.image_read_upload(io.BytesIO(b"0123456789")) == b"0123456789"
    with pytest.raises(ApplicationError) as error:
        images.image_read_upload(io.BytesIO(b"0123456789X"))
    assert error.value.fields == {"image": ["The file is too large: at most 10 bytes."]}
    with pytest.raises(ApplicationError) as error:
        images.image_read_upload(None)
    assert error.value.fields == {"image": ["No file was submitted."]}


# --- POST /api/properties/{id}/images -----------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "name", "content_type"),
    [
        ("JPEG", "a.jpg", "image/jpeg"),
        ("PNG", "a.png", "image/png"),
        ("WEBP", "a.webp", "image/webp"),
    ],
)
def test_the_owner_uploads_an_image(gateway, landlord, media_root, fmt, name, content_type):
    property = make_property(landlord)

    response = gateway.upload(
        images_path(property.id),
        {"image": upload_file(image_bytes(fmt, size=(2400, 1800)), name, content_type)},
        as_=landlord,
    )

    assert response.status_code == 201, response.json()
    image = PropertyImage.objects.get()
    prefix = f"{PUBLIC_BASE_URL}/media/properties/{property.id}/"
    assert response.json() == {
        "id": str(image.id),
        "url": f"{prefix}{image.path.rsplit('/', 1)[1]}",
        "thumbnail_url": f"{prefix}{image.thumbnail_path.rsplit('/', 1)[1]}",
        "width": 1600,
        "height": 1200,
    }
    # Server-generated names only: `<uuid hex>.jpg` and `<uuid hex>-thumb.jpg`.
    assert re.fullmatch(rf"properties/{property.id}/[0-9a-f]{{32}}\.jpg", image.path)
    assert image.thumbnail_path == image.path.replace(".jpg", "-thumb.jpg")
    assert (image.position, image.width, image.height) == (0, 1600, 1200)
    files = stored_files(media_root)
    assert [f.relative_to(media_root).as_posix() for f in files] == sorted(
        [image.path, image.thumbnail_path]
    )
    with Image.open(media_root / image.thumbnail_path) as thumbnail:
        assert thumbnail.size == (400, 300)

    stored = Property.objects.get()
    assert (stored.version, stored.thumbnail_path) == (2, image.thumbnail_path)
    [event] = outbox_events(type=UPDATED)
    validate_event(event)
    assert (event.subject, event.data["version"], event.data["thumbnail_url"]) == (
        str(property.id),
        2,
        response.json()["thumbnail_url"],
    )


def test_the_first_image_stays_the_cover(gateway, landlord):
    property = make_property(landlord)
    first = gateway.upload(
        images_path(property.id), {"image": upload_file(image_bytes())}, as_=landlord
    ).json()
    gateway.upload(images_path(property.id), {"image": upload_file(image_bytes())}, as_=landlord)

    assert list(PropertyImage.objects.values_list("position", flat=True)) == [0, 1]
    assert Property.objects.get().thumbnail_url == first["thumbnail_url"]
    assert [e.data["version"] for e in outbox_events(type=UPDATED)] == [2, 3]
    assert {e.data["thumbnail_url"] for e in outbox_events(type=UPDATED)} == {
        first["thumbnail_url"]
    }


def test_stored_files_carry_no_exif(gateway, landlord, media_root):
    property = make_property(landlord)
    response = gateway.upload(
        images_path(property.id), {"image": upload_file(_exif_jpeg())}, as_=landlord
    )
    assert response.status_code == 201
    assert (response.json()["width"], response.json()["height"]) == (200, 400)
    for path in stored_files(media_root):
        assert b"SecretCameraMaker" not in path.read_bytes()
        with Image.open(path) as stored:
            assert dict(stored.getexif()) == {}


def _assert_nothing_stored(media_root, property) -> None:
    assert stored_files(media_root) == []
    assert PropertyImage.objects.count() == 0
    assert Property.objects.get(pk=property.pk).version == 1
    assert outbox_events(type=UPDATED) == []


@pytest.mark.parametrize(
    ("data", "name", "content_type", "message"),
    [
        (b"\x89PNG garbage bytes", "photo.png", "image/png", NOT_AN_IMAGE),
        (b"just some text\n", "photo.jpg", "image/jpeg", NOT_AN_IMAGE),
        (image_bytes("GIF"), "photo.png", "image/png", NOT_AN_IMAGE),
        (image_bytes("BMP"), "photo.jpg", "image/jpeg", NOT_AN_IMAGE),
        (_truncated_jpeg(), "photo.jpg", "image/jpeg", CORRUPT),
        (_png_bomb(), "bomb.png", "image/png", "The image is too large: at most 24000000 pixels."),
    ],
    ids=["garbage", "text-as-jpg", "gif-as-png", "bmp", "truncated", "bomb"],
)
def test_bad_uploads_are_400_and_store_nothing(
    gateway, landlord, media_root, data, name, content_type, message
):
    property = make_property(landlord)
    response = gateway.upload(
        images_path(property.id), {"image": upload_file(data, name, content_type)}, as_=landlord
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "Invalid input.",
        "fields": {"image": [message]},
    }
    _assert_nothing_stored(media_root, property)


@pytest.mark.parametrize("files", [{}, {"image": "not a file"}, {"photo": "x"}])
def test_a_missing_image_field_is_400(gateway, landlord, media_root, files):
    property = make_property(landlord)
    if "photo" in files:
        files = {"photo": upload_file(image_bytes())}
    response = gateway.upload(images_path(property.id), files, as_=landlord)
    assert response.status_code == 400
    assert response.json()["fields"] == {"image": ["No file was submitted."]}
    _assert_nothing_stored(media_root, property)


def test_a_json_body_is_415(gateway, landlord, media_root):
    property = make_property(landlord)
    response = gateway.post(images_path(property.id), {"image": "aGVsbG8="}, as_=landlord)
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    _assert_nothing_stored(media_root, property)


def test_two_files_in_one_request_are_refused(gateway, landlord, media_root):
    property = make_property(landlord)
    response = gateway.upload(
        images_path(property.id),
        {"image": [upload_file(image_bytes()), upload_file(image_bytes())]},
        as_=landlord,
    )
    assert response.status_code == 400
    _assert_nothing_stored(media_root, property)


def test_a_file_just_over_10_mb_is_400(gateway, landlord, media_root, settings):
    assert settings.PROPERTY_IMAGE_MAX_BYTES == 10 * 1024 * 1024
    property = make_property(landlord)
    data = image_bytes() + b"\x00" * (10 * 1024 * 1024)
    response = gateway.upload(images_path(property.id), {"image": upload_file(data)}, as_=landlord)
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "image": ["The file is too large: at most 10485760 bytes."]
    }
    _assert_nothing_stored(media_root, property)


def test_an_11_mb_upload_is_413_before_it_is_read(gateway, landlord, media_root):
    property = make_property(landlord)
    data = b"\xff" * (11 * 1024 * 1024)
    response = gateway.upload(images_path(property.id), {"image": upload_file(data)}, as_=landlord)
    assert response.status_code == 413
    assert response.json() == {
        "code": "payload_too_large",
        "message": "The request body is too large.",
    }
    _assert_nothing_stored(media_root, property)


def test_only_the_owner_uploads(gateway, landlord, other_landlord, tenant, media_root):
    listed = make_property(landlord)
    draft = make_property(landlord, status="draft")
    file = {"image": upload_file(image_bytes())}
    cases = [
        (listed, other_landlord, 403),
        (listed, tenant, 403),
        (listed, None, 401),
        (draft, other_landlord, 404),
    ]
    for property, caller, status in cases:
        file["image"].seek(0)
        response = gateway.upload(images_path(property.id), file, as_=caller)
        assert response.status_code == status, (caller, response.json())
    assert stored_files(media_root) == []
    assert OutboxMessage.objects.filter(type=UPDATED).count() == 0


def test_no_uploads_to_an_archived_or_unknown_property(gateway, landlord, media_root):
    property = make_property(landlord)
    services.property_archive(property_id=property.id, actor_id=landlord.user_id)
    response = gateway.upload(
        images_path(property.id), {"image": upload_file(image_bytes())}, as_=landlord
    )
    assert (response.status_code, response.json()["code"]) == (409, "property_archived")
    unknown = gateway.upload(
        images_path("not-a-uuid"), {"image": upload_file(image_bytes())}, as_=landlord
    )
    assert unknown.status_code == 404
    assert stored_files(media_root) == []


def test_the_image_count_is_limited(gateway, landlord, settings):
    settings.PROPERTY_IMAGE_MAX_COUNT = 2
    property = make_property(landlord)
    statuses = [
        gateway.upload(
            images_path(property.id), {"image": upload_file(image_bytes())}, as_=landlord
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [201, 201, 400]
    assert PropertyImage.objects.count() == 2


def test_files_are_removed_when_the_database_write_fails(landlord, media_root, monkeypatch):
    property = make_property(landlord)

    def fail(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_image_attach", fail)
    with pytest.raises(RuntimeError):
        services.property_image_add(
            property_id=property.id, actor_id=landlord.user_id, upload=upload_file(image_bytes())
        )
    _assert_nothing_stored(media_root, property)


def test_an_image_pillow_cannot_convert_is_400_not_500(monkeypatch):
    def broken(image, *, alpha):
        raise OSError("cannot write mode I;16B as JPEG")

    monkeypatch.setattr(images, "_encode", broken)
    with pytest.raises(ApplicationError) as error:
        images.image_encode(image_bytes())
    assert error.value.fields == {
        "image": ["The image could not be processed; save it as an sRGB JPEG."]
    }


def test_the_owner_reorders_the_photos_and_the_first_becomes_the_cover(
    gateway, landlord, other_landlord
):
    property = make_property(landlord)
    uploaded = [
        gateway.upload(
            images_path(property.id), {"image": upload_file(image_bytes())}, as_=landlord
        ).json()
        for _ in range(3)
    ]
    order_path = images_path(property.id) + "/order"
    new_order = [uploaded[2]["id"], uploaded[0]["id"], uploaded[1]["id"]]
    OutboxMessage.objects.all().delete()

    response = gateway.put(order_path, {"image_ids": new_order}, as_=landlord)

    assert response.status_code == 200, response.json()
    assert [image["id"] for image in response.json()["images"]] == new_order
    assert response.json()["thumbnail_url"] == uploaded[2]["thumbnail_url"]
    (event,) = outbox_events(type=UPDATED)
    assert event.data["thumbnail_url"] == uploaded[2]["thumbnail_url"]
    # The same order again changes nothing and publishes nothing.
    assert gateway.put(order_path, {"image_ids": new_order}, as_=landlord).status_code == 200
    assert len(outbox_events(type=UPDATED)) == 1

    for body in (
        {"image_ids": new_order[:2]},  # not every image
        {"image_ids": [*new_order, new_order[0]]},  # one twice
        {"image_ids": [*new_order[:2], "8d0c7a4e-2f7b-4d63-9f7e-6a1f2f0b6c11"]},  # a stranger
        {"image_ids": "all"},
        {"image_ids": []},
        {},
    ):
        refused = gateway.put(order_path, body, as_=landlord)
        assert (refused.status_code, refused.json()["code"]) == (400, "invalid"), body
    assert gateway.put(order_path, {"image_ids": new_order}, as_=other_landlord).status_code in (
        403,
        404,
    )
    positions = dict(PropertyImage.objects.values_list("id", "position"))
    assert [str(i) for i, _ in sorted(positions.items(), key=lambda kv: kv[1])] == new_order
