"""ASGI entry point of api_gateway:

    uvicorn config.asgi:application --workers N --lifespan on --ws websockets-sansio
        --http httptools --loop uvloop --no-access-log --no-proxy-headers

(the flags of the Procfile and bench/gateway_bench.py: GATEWAY_UVICORN_ARGS).

The gateway's own ASGI layer (gateway.app) proxies HTTP and WebSocket traffic
and hands only its own pages (/healthz, /readyz, /api/schema/, /api/docs/) to
Django.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_application = get_asgi_application()

from gateway.app import GatewayApplication  # noqa: E402  (needs Django set up)

application = GatewayApplication(django_application)
