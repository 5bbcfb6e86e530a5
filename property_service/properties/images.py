"""Uploaded images: decode, refuse anything that is not a real JPEG, PNG or
WebP, and store only what we re-encoded ourselves.

What a client sent is never stored or served: the file is decoded with Pillow
(whatever its name or content type claims), rotated upright by its EXIF
orientation, then written anew without any metadata (EXIF, GPS, XMP, comments)
as a display copy (longest side at most PROPERTY_IMAGE_MAX_SIDE) and a
PROPERTY_THUMBNAIL_SIZE cover-cropped thumbnail. Opaque images become JPEG,
images with transparency WebP. Names are server-generated UUIDs, so a stored
file never changes and can be cached forever.

Memory is bounded before anything is decoded (a 200 KB PNG can claim 7000x7000
pixels and decode to hundreds of MiB):
- the dimensions are read from the header (Image.open is lazy) and checked
  against a cap: PROPERTY_IMAGE_MAX_PIXELS for PNG, WebP and progressive JPEG
  (decoded in full, or as full-size DCT coefficients), and the higher
  PROPERTY_IMAGE_MAX_JPEG_PIXELS for baseline JPEG (what cameras and phones
  write), which libjpeg decodes at 1/2, 1/4 or 1/8 scale (`draft`) to no less
  than the display size;
- at most PROPERTY_IMAGE_DECODE_CONCURRENCY decodes run at once per process
  and at most PROPERTY_IMAGE_DECODE_QUEUE uploads wait for one (together
  fewer than gunicorn's threads, so other requests keep a thread); an upload
  beyond those, or one that waited PROPERTY_IMAGE_DECODE_WAIT_SECONDS, is 503
  `busy` with Retry-After (clients retry);
- the decoded image is shrunk to the display size first, and rotated and
  cropped only then, so at most two full-size buffers ever exist.
"""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps, UnidentifiedImageError
from rentezy_platform.errors import InvalidInput
from rest_framework.exceptions import APIException

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
JPEG_QUALITY = 85
WEBP_QUALITY = 85


# EXIF orientation -> the transpose that makes the image upright (as ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_ORIENTATION_TAG = 0x0112


def invalid_image(message: str) -> InvalidInput:
    return InvalidInput(fields={"image": [message]})


class ImagesBusy(APIException):
    """Every decode slot of this process stayed taken: 503 `busy` + Retry-After.
    (An APIException, not an ApplicationError: the error handler sets
    Retry-After from `wait`.)"""

    status_code = 503
    default_code = "busy"
    default_detail = "Too many images are being processed; please try again shortly."
    wait = 2


class _DecodeSlots:
    """At most `concurrency` decodes at once and at most `queue` uploads waiting
    for one; any further upload is refused at once. Waiting holds a gunicorn
    thread, so the two together stay below the threads of a worker: reads
    always find a free thread, however many uploads arrive."""

    def __init__(self, *, concurrency: int, queue: int) -> None:
        self.decoding = threading.BoundedSemaphore(concurrency)
        self.admitted = threading.BoundedSemaphore(concurrency + queue)

    @contextmanager
    def slot(self, *, wait: float) -> Iterator[None]:
        if not self.admitted.acquire(blocking=False):
            raise ImagesBusy()
        try:
            if not self.decoding.acquire(timeout=wait):
                raise ImagesBusy()
            try:
                yield
            finally:
                self.decoding.release()
        finally:
            self.admitted.release()


_decode_slots: _DecodeSlots | None = None
_decode_slots_lock = threading.Lock()


def _slots() -> _DecodeSlots:
    # Created on first use, in the worker process, once settings are configured.
    global _decode_slots
    with _decode_slots_lock:
        if _decode_slots is None:
            _decode_slots = _DecodeSlots(
                concurrency=settings.PROPERTY_IMAGE_DECODE_CONCURRENCY,
                queue=settings.PROPERTY_IMAGE_DECODE_QUEUE,
            )
        return _decode_slots


def _decode_slot():
    return _slots().slot(wait=settings.PROPERTY_IMAGE_DECODE_WAIT_SECONDS)


@dataclass(frozen=True, slots=True)
class EncodedImage:
    """One image ready to store: the display copy and its thumbnail."""

    extension: str  # "jpg" or "webp"
    content: bytes
    width: int
    height: int
    thumbnail: bytes


@dataclass(frozen=True, slots=True)
class StoredImage:
    path: str
    thumbnail_path: str
    width: int
    height: int


def _too_large(max_pixels: int) -> InvalidInput:
    return invalid_image(f"The image is too large: at most {max_pixels} pixels.")


def _max_pixels(image: Image.Image) -> int:
    # Only a baseline JPEG decodes at reduced scale in little memory: a
    # progressive one keeps every DCT coefficient of the full image (up to 6
    # bytes a pixel) whatever the scale, so it gets the full-decode cap.
    if image.format == "JPEG" and not image.info.get("progressive"):
        return settings.PROPERTY_IMAGE_MAX_JPEG_PIXELS
    return settings.PROPERTY_IMAGE_MAX_PIXELS


def _open(data: bytes) -> Image.Image:
    """The image, checked but not yet decoded (JPEG set to decode at reduced
    scale); `invalid` for anything else."""
    max_pixels = settings.PROPERTY_IMAGE_MAX_PIXELS
    try:
        # `formats` limits the decoders tried: a GIF or BMP is not identified at all.
        # Opening reads the header only: the size is known before any pixel is decoded.
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as probe:
            max_pixels = _max_pixels(probe)
            if probe.width * probe.height > max_pixels:
                raise _too_large(max_pixels)
            probe.verify()  # structure and checksums (PNG CRCs), without decoding
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
        if image.format == "JPEG":
            # libjpeg's DCT scaling: a 48 MP photo decodes as 12 MP, still at
            # least the display size on both sides.
            side = settings.PROPERTY_IMAGE_MAX_SIDE
            image.draft(None, (side, side))
    except Image.DecompressionBombError:
        raise _too_large(max_pixels) from None
    except UnidentifiedImageError:
        raise invalid_image("Upload a JPEG, PNG or WebP image.") from None
    except _DECODER_ERRORS:
        raise invalid_image("The image is corrupt or truncated.") from None
    return image


# What Pillow's decoders raise for corrupt or truncated data.
_DECODER_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError)


def _load(image: Image.Image) -> None:
    """The whole pixel data: a truncated file fails here."""
    try:
        image.load()
    except _DECODER_ERRORS:
        raise invalid_image("The image is corrupt or truncated.") from None


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(_ORIENTATION_TAG, 1))
    except (OSError, SyntaxError, ValueError, TypeError, KeyError):
        return 1  # an unreadable EXIF block: keep the pixels as they are


def _has_alpha(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA"):
        return image.getextrema()[-1][0] < 255  # some pixel is not fully opaque
    return image.mode == "P" and "transparency" in image.info


def _encode(image: Image.Image, *, alpha: bool) -> bytes:
    buffer = io.BytesIO()
    icc_profile = image.info.get("icc_profile")
    # Nothing of the original's metadata is passed on (no `exif=`, no `xmp=`);
    # only the colour profile, which is needed to show the colours right.
    extra = {"icc_profile": icc_profile} if icc_profile else {}
    if alpha:
        image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=4, **extra)
    else:
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True, **extra)
    return buffer.getvalue()


def image_encode(data: bytes) -> EncodedImage:
    """Decode an upload and re-encode it for storage (CPU only, no I/O).

    Waits for one of the process's decode slots (503 `busy` if none frees up in time)."""
    source = _open(data)
    try:
        with _decode_slot():
            return _reencode(source)
    finally:
        source.close()


def _reencode(source: Image.Image) -> EncodedImage:
    _load(source)
    icc_profile = source.info.get("icc_profile")
    orientation = _orientation(source)
    try:
        alpha = _has_alpha(source)
        mode = "RGBA" if alpha else "RGB"
        working = source if source.mode == mode else source.convert(mode)
        if working is not source:
            source.close()  # drop the decoded buffer before the next one is made
        # Shrink first (in place; a large factor goes through a cheap reduce()),
        # then rotate and crop a display-sized image, never a full-sized one.
        side = settings.PROPERTY_IMAGE_MAX_SIDE
        working.thumbnail((side, side), Image.Resampling.LANCZOS)
        if orientation in _UPRIGHT:
            working = working.transpose(_UPRIGHT[orientation])
        working.info = {"icc_profile": icc_profile} if icc_profile else {}

        thumbnail = ImageOps.fit(
            working, settings.PROPERTY_THUMBNAIL_SIZE, Image.Resampling.LANCZOS
        )
        thumbnail.info = dict(working.info)
        return EncodedImage(
            extension="webp" if alpha else "jpg",
            content=_encode(working, alpha=alpha),
            width=working.width,
            height=working.height,
            thumbnail=_encode(thumbnail, alpha=alpha),
        )
    except (OSError, ValueError):
        # A pixel format Pillow decodes but cannot convert (or a broken colour
        # profile): the client's file, not our fault, and not storable.
        raise invalid_image("The image could not be processed; save it as an sRGB JPEG.") from None


def image_read_upload(upload: IO[bytes] | None) -> bytes:
    """The bytes of an uploaded file within PROPERTY_IMAGE_MAX_BYTES; `invalid` otherwise."""
    if upload is None or not hasattr(upload, "read"):
        raise invalid_image("No file was submitted.")
    max_bytes = settings.PROPERTY_IMAGE_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise invalid_image(f"The file is too large: at most {max_bytes} bytes.")
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise invalid_image(f"The file is too large: at most {max_bytes} bytes.")
    if not data:
        raise invalid_image("The submitted file is empty.")
    return data


def image_store(*, property_id: uuid.UUID, encoded: EncodedImage) -> StoredImage:
    """Write both files under `properties/<property id>/`; paths relative to MEDIA_ROOT."""
    name = uuid.uuid4().hex
    folder = f"properties/{property_id}"
    path = default_storage.save(
        f"{folder}/{name}.{encoded.extension}", ContentFile(encoded.content)
    )
    try:
        thumbnail_path = default_storage.save(
            f"{folder}/{name}-thumb.{encoded.extension}", ContentFile(encoded.thumbnail)
        )
    except BaseException:
        default_storage.delete(path)
        raise
    return StoredImage(
        path=path, thumbnail_path=thumbnail_path, width=encoded.width, height=encoded.height
    )


def image_delete_files(stored: StoredImage) -> None:
    """Remove the files of an image whose database row was never committed."""
    for path in (stored.path, stored.thumbnail_path):
        default_storage.delete(path)
