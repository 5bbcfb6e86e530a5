"""`GET /media/<path>`: the stored images, forwarded by the gateway.

Every stored name is a fresh UUID (properties/images.py), so a URL's bytes
never change: browsers and CDNs may cache them for a year. Only files under
MEDIA_ROOT are ever served: a path that would leave it (`../`) is a 404 like
a missing file, and directories are never listed.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404, HttpRequest, HttpResponseBase
from django.views import static
from rentezy_platform.errors import error_response

CACHE_CONTROL = "public, max-age=31536000, immutable"


def media_serve(request: HttpRequest, path: str) -> HttpResponseBase:
    if request.method not in ("GET", "HEAD"):
        response = error_response("method_not_allowed", "Method not allowed.", status=405)
        response["Allow"] = "GET, HEAD"
        return response
    try:
        response = static.serve(request, path, document_root=settings.MEDIA_ROOT)
    except SuspiciousFileOperation:
        raise Http404("Not found.") from None
    if response.status_code == 200:
        response["Cache-Control"] = CACHE_CONTROL
    return response
