"""How the gateway is served: uvicorn with these flags, written once for the
Procfile (checked by tests/test_config.py), the cross-service tests and the
benchmark.

- lifespan on: the upstream pool and Redis clients open and close with it;
- websockets-sansio: the WebSocket proxy's protocol implementation;
- httptools + uvloop named explicitly: a silent fall-back to h11/asyncio
  costs ~0.6 ms of CPU per request;
- no access log: the gateway writes its own JSON access line;
- no proxy headers, no forwarded-allow-ips (rentezy_platform.servers'
  UNTRUSTING_UVICORN, which every server of the stack carries): uvicorn
  would otherwise believe X-Forwarded-For from loopback peers, letting
  clients pick their own rate-limit key (GATEWAY_TRUSTED_PROXY_HOPS decides
  that instead);
- --ws-max-size 64 KiB (rentezy_platform.servers.WS_LIMITS): a client's
  WebSocket frame over it closes the socket with 1009, unread and unrelayed.
"""

from rentezy_platform.servers import UNTRUSTING_UVICORN, WS_LIMITS

APP = "config.asgi:application"

UVICORN_ARGS = [
    "--lifespan",
    "on",
    "--ws",
    "websockets-sansio",
    "--http",
    "httptools",
    "--loop",
    "uvloop",
    "--no-access-log",
    *UNTRUSTING_UVICORN,
    *WS_LIMITS,
]
