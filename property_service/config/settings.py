"""property_service settings: properties, images, amenities.

The platform defaults (rentezy_platform.settings) plus what is this service's own:
where uploaded images live and the public origin their URLs point at.
"""

from pathlib import Path

from rentezy_platform.conf import env, is_production, repo_root, required
from rentezy_platform.settings import *  # noqa: F403
from rentezy_platform.settings import PLATFORM_APPS, database

SERVICE_NAME = "property_service"
INSTALLED_APPS = [*PLATFORM_APPS, "properties"]
DATABASES = {"default": database("rentezy_property")}
READINESS_CHECKS = ["database", "kafka"]

# Images. Files live under MEDIA_ROOT (in Kubernetes a shared volume: EFS) and
# are served by this service at /media/..., which the gateway forwards. A
# relative MEDIA_ROOT (the dev default `.data/media`) is relative to the repo root.
_media_root = Path(
    required("MEDIA_ROOT") if is_production() else env.str("MEDIA_ROOT", default=".data/media")
)
MEDIA_ROOT = str(_media_root if _media_root.is_absolute() else repo_root() / _media_root)
MEDIA_URL = "/media/"

# Absolute image URLs start with PUBLIC_BASE_URL (rentezy_platform.settings).

# Uploads: JPEG, PNG or WebP of at most PROPERTY_IMAGE_MAX_BYTES, decoded in
# full before anything is stored (properties/images.py).
PROPERTY_IMAGE_MAX_BYTES = env.int("PROPERTY_IMAGE_MAX_BYTES", default=10 * 1024 * 1024)
# Decoded size limits, checked from the header before decoding (decompression
# bombs; properties/images.py). PNG and WebP decode in full (4 bytes a pixel),
# progressive JPEG keeps full-size DCT coefficients (up to 6 bytes a pixel):
# 24 MP (a 6000x4000 camera frame) costs at most ~190 MiB to re-encode, and is
# more than any real photo in those formats under the 10 MB file cap (a 10 MB
# PNG photo is ~5 MP). Baseline JPEG (what cameras and phones write) decodes
# at 1/2..1/8 scale down to the display size in ~75 MiB, so it may be larger:
# 52 MP takes 48-50 MP phone photos (8160x6120).
PROPERTY_IMAGE_MAX_PIXELS = env.int("PROPERTY_IMAGE_MAX_PIXELS", default=24_000_000)
PROPERTY_IMAGE_MAX_JPEG_PIXELS = env.int("PROPERTY_IMAGE_MAX_JPEG_PIXELS", default=52_000_000)
# Decodes at once per process, and uploads waiting for one: together below
# gunicorn's 4 threads, so reads keep a thread of their own whatever the
# uploads. Any further upload, or one that waited too long (well within the
# gateway's 30 s upload timeout), is 503 `busy` with Retry-After.
PROPERTY_IMAGE_DECODE_CONCURRENCY = env.int("PROPERTY_IMAGE_DECODE_CONCURRENCY", default=2)
PROPERTY_IMAGE_DECODE_QUEUE = env.int("PROPERTY_IMAGE_DECODE_QUEUE", default=1)
PROPERTY_IMAGE_DECODE_WAIT_SECONDS = env.float("PROPERTY_IMAGE_DECODE_WAIT_SECONDS", default=10.0)
PROPERTY_IMAGE_MAX_COUNT = env.int("PROPERTY_IMAGE_MAX_COUNT", default=30)
PROPERTY_IMAGE_MAX_SIDE = 1600
PROPERTY_THUMBNAIL_SIZE = (400, 300)

# JSON bodies are a property at most (a 5000-character description): 256 KiB is
# plenty. Multipart file parts are not counted here: they stream to a temporary
# file past FILE_UPLOAD_MAX_MEMORY_SIZE, and the image API refuses a body
# larger than an image plus a little multipart framing before reading it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 1

SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,  # noqa: F405
    "DESCRIPTION": "Properties, their images and amenities.",
    "ENUM_NAME_OVERRIDES": {
        "PropertyTypeEnum": "properties.models.PropertyType",
        "PropertyStatusEnum": "properties.models.PropertyStatus",
        "AmenityEnum": "properties.models.Amenity",
        "CurrencyEnum": "properties.models.Currency",
    },
}
