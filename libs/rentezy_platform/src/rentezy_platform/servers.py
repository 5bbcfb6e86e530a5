"""How every service is served: the gunicorn and uvicorn flags, written once.

Used by the Procfile (checked by api_gateway/tests/test_config.py), the
cross-service tests (tests/conftest.py) and the benchmarks; the Dockerfiles
and manifests to come must carry the same flags. The gateway's own uvicorn
flags live in api_gateway/config/server.py and start with UNTRUSTING_UVICORN.

No server of the stack trusts forwarding headers from its peer. The gateway
is the only door, it signs the path it routed, and a server that rewrote the
path or scheme from a client-sent header (gunicorn's SCRIPT_NAME/PATH_INFO
"forwarder headers", X-Forwarded-Proto, uvicorn's X-Forwarded-For) would
route something other than what was signed. Both servers trust loopback
peers by default, and the gateway is a loopback peer in development.

gunicorn:
- --forwarded-allow-ips '': no peer address is a trusted front end, so
  neither the forwarder headers nor the secure-scheme headers are read;
- --forwarder-headers '': and none would be (a peer over a UNIX socket
  counts as trusted whatever the allow list says: never bind one);
- --header-map drop: a header name with an underscore (SCRIPT_NAME,
  X_Forwarded_For) never reaches the WSGI environ;
- --proxy-protocol off: no PROXY protocol preamble picks the client address.
- gthread, 2 workers x 4 threads, the app preloaded once per service.

uvicorn (chat, notification; and the gateway): --no-proxy-headers and an
empty --forwarded-allow-ips: the client address is the peer's, the scheme the
connection's, whatever X-Forwarded-* says.
"""

from __future__ import annotations

WSGI_APP = "config.wsgi"
ASGI_APP = "config.asgi:application"

UNTRUSTING_GUNICORN = [
    "--forwarded-allow-ips",
    "",
    "--forwarder-headers",
    "",
    "--header-map",
    "drop",
    "--proxy-protocol",
    "off",
]

GUNICORN_ARGS = [
    "--workers",
    "2",
    "--worker-class",
    "gthread",
    "--threads",
    "4",
    "--preload",
    "--graceful-timeout",
    "10",
    "--no-control-socket",
    *UNTRUSTING_GUNICORN,
]

UNTRUSTING_UVICORN = ["--no-proxy-headers", "--forwarded-allow-ips", ""]

# The largest WebSocket message any uvicorn of the stack accepts from its peer
# (uvicorn's own default is 16 MiB, which the gateway would buffer and relay
# to a service that refuses it anyway): a client frame is at most
# rentezy_platform.sockets.MAX_FRAME_CHARS characters, 4 bytes each at most
# in UTF-8. A larger one closes the socket with 1009 (message too big).
WS_MAX_SIZE_BYTES = 64 * 1024
WS_LIMITS = ["--ws-max-size", str(WS_MAX_SIZE_BYTES)]

# Django's ASGI handler does not speak lifespan; the services log through
# Django, not uvicorn's access log.
SERVICE_UVICORN_ARGS = [
    "--lifespan",
    "off",
    "--no-access-log",
    *UNTRUSTING_UVICORN,
    *WS_LIMITS,
]
