"""Uploaded images: decode in full, refuse anything that is not a real JPEG,
PNG or WebP, and store only what we re-encoded ourselves.

What a client sent is never stored or served: the file is decoded with Pillow
(whatever its name or content type claims), rotated upright by its EXIF
orientation, then written anew without any metadata (EXIF, GPS, XMP, comments)
as a display copy (longest side at most PROPERTY_IMAGE_MAX_SIDE) and a
PROPERTY_THUMBNAIL_SIZE cover-cropped thumbnail. Opaque images become JPEG,
images with transparency WebP. Names are server-generated UUIDs, so a stored
file never changes and can be cached forever.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps, UnidentifiedImageError
from rentezy_platform.errors import ApplicationError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
JPEG_QUALITY = 85
WEBP_QUALITY = 85


def invalid_image(message: str) -> ApplicationError:
    return ApplicationError("invalid", "Invalid input.", fields={"image": [message]})


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


def _open(data: bytes) -> Image.Image:
    """The fully decoded image; `invalid` for anything else."""
    max_pixels = settings.PROPERTY_IMAGE_MAX_PIXELS
    try:
        # `formats` limits the decoders tried: a GIF or BMP is not identified at all.
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as probe:
            if probe.width * probe.height > max_pixels:
                raise invalid_image(f"The image is too large: at most {max_pixels} pixels.")
            probe.verify()  # structure and checksums (PNG CRCs), without decoding
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
        image.load()  # the whole pixel data: a truncated file fails here
    except Image.DecompressionBombError:
        raise invalid_image(f"The image is too large: at most {max_pixels} pixels.") from None
    except UnidentifiedImageError:
        raise invalid_image("Upload a JPEG, PNG or WebP image.") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError):
        # What Pillow's decoders raise for corrupt or truncated data.
        raise invalid_image("The image is corrupt or truncated.") from None
    return image


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
    """Decode an upload and re-encode it for storage (CPU only, no I/O)."""
    source = _open(data)
    try:
        upright = ImageOps.exif_transpose(source)  # a copy, orientation applied
    except (OSError, SyntaxError, ValueError, TypeError, KeyError):
        upright = source.copy()  # an unreadable EXIF block: keep the pixels as they are
    icc_profile = source.info.get("icc_profile")
    source.close()

    try:
        alpha = _has_alpha(upright)
        upright = upright.convert("RGBA" if alpha else "RGB")
        upright.info = {"icc_profile": icc_profile} if icc_profile else {}

        display = upright.copy()
        side = settings.PROPERTY_IMAGE_MAX_SIDE
        display.thumbnail((side, side), Image.Resampling.LANCZOS)
        thumbnail = ImageOps.fit(
            upright, settings.PROPERTY_THUMBNAIL_SIZE, Image.Resampling.LANCZOS
        )
        thumbnail.info = dict(upright.info)
        return EncodedImage(
            extension="webp" if alpha else "jpg",
            content=_encode(display, alpha=alpha),
            width=display.width,
            height=display.height,
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
