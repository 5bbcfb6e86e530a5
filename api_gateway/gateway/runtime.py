"""What one gateway process holds for its lifetime: its configuration, the
pooled upstream session, the token validator and its cache, the registry of
open WebSockets and its watch, the revocation subscriber (which tells both the
cache and the registry) and the rate limiter.

Created at ASGI lifespan start-up (uvicorn) or by the first request (servers
without lifespan, such as daphne), inside the event loop that serves requests.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiohttp

from gateway.headers import Cors, SecurityHeaders
from gateway.ratelimit import RateLimiter
from gateway.revocation import RevocationSubscriber
from gateway.sockets import SocketRegistry, SocketWatch
from gateway.tokens import TokenCache, TokenValidator

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GatewayConfig:
    upstreams: dict[str, str]
    signing_key: str
    redis_url: str
    cors_origins: tuple[str, ...]
    ws_allow_missing_origin: bool
    ws_frames_per_second: float
    ws_frame_burst: int
    max_body_bytes: int
    upstream_timeout: float
    upload_timeout: float
    connect_timeout: float
    max_upstream_connections: int
    keepalive_expiry: float
    trusted_proxy_hops: int
    hsts_seconds: int
    validate_timeout: float
    token_cache_seconds: float
    token_cache_size: int
    invalid_token_cache_seconds: float
    rate_limit_prefix: str
    login_window_seconds: int
    login_failures_per_account: int
    login_failures_per_ip: int
    user_budget_per_minute: int
    anon_budget_per_minute: int
    uploads_per_minute: int

    @classmethod
    def from_settings(cls, settings) -> GatewayConfig:
        return cls(
            upstreams={name: url.rstrip("/") for name, url in settings.UPSTREAM_URLS.items()},
            signing_key=settings.GATEWAY_SIGNING_KEY,
            redis_url=settings.REDIS_URL,
            cors_origins=tuple(settings.CORS_ALLOWED_ORIGINS),
            ws_allow_missing_origin=settings.GATEWAY_WS_ALLOW_MISSING_ORIGIN,
            ws_frames_per_second=settings.GATEWAY_WS_FRAMES_PER_SECOND,
            ws_frame_burst=settings.GATEWAY_WS_FRAME_BURST,
            max_body_bytes=settings.GATEWAY_MAX_BODY_BYTES,
            upstream_timeout=settings.GATEWAY_UPSTREAM_TIMEOUT,
            upload_timeout=settings.GATEWAY_UPLOAD_TIMEOUT,
            connect_timeout=settings.GATEWAY_CONNECT_TIMEOUT,
            max_upstream_connections=settings.GATEWAY_MAX_UPSTREAM_CONNECTIONS,
            keepalive_expiry=settings.GATEWAY_KEEPALIVE_EXPIRY,
            trusted_proxy_hops=settings.GATEWAY_TRUSTED_PROXY_HOPS,
            hsts_seconds=settings.GATEWAY_HSTS_SECONDS,
            validate_timeout=settings.GATEWAY_VALIDATE_TIMEOUT,
            token_cache_seconds=settings.GATEWAY_TOKEN_CACHE_SECONDS,
            token_cache_size=settings.GATEWAY_TOKEN_CACHE_SIZE,
            invalid_token_cache_seconds=settings.GATEWAY_INVALID_TOKEN_CACHE_SECONDS,
            rate_limit_prefix=settings.GATEWAY_RATE_LIMIT_PREFIX,
            login_window_seconds=settings.GATEWAY_LOGIN_WINDOW_SECONDS,
            login_failures_per_account=settings.GATEWAY_LOGIN_FAILURES_PER_ACCOUNT,
            login_failures_per_ip=settings.GATEWAY_LOGIN_FAILURES_PER_IP,
            user_budget_per_minute=settings.GATEWAY_USER_BUDGET_PER_MINUTE,
            anon_budget_per_minute=settings.GATEWAY_ANON_BUDGET_PER_MINUTE,
            uploads_per_minute=settings.GATEWAY_UPLOADS_PER_MINUTE,
        )


# Headers aiohttp would add on its own: the client's own (or none) go on instead.
_NO_AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")
# aiohttp's defaults (8190) are stricter than h11's 16 KiB head: a service's
# long Link or CSP header must not turn into a 502.
MAX_RESPONSE_HEADER_BYTES = 16 * 1024


def upstream_session(config: GatewayConfig) -> aiohttp.ClientSession:
    """One pooled HTTP/1.1 keep-alive session for every upstream of the process.

    What a reverse proxy needs from it: no redirects followed (per request),
    no cookie jar (a Set-Cookie meant for one user must never ride along on
    the next user's request), no decompression (bytes pass through as the
    service encoded them), no default headers, no environment proxy, and no
    silent retry of its own (gateway.proxy retries exactly what is safe).
    """
    connector = aiohttp.TCPConnector(
        limit=config.max_upstream_connections,
        limit_per_host=0,
        keepalive_timeout=config.keepalive_expiry,
        ttl_dns_cache=10,
    )
    session = aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        skip_auto_headers=_NO_AUTO_HEADERS,
        auto_decompress=False,
        trust_env=False,
        requote_redirect_url=False,
        timeout=aiohttp.ClientTimeout(
            total=None,
            connect=config.upstream_timeout,
            sock_connect=config.connect_timeout,
            sock_read=config.upstream_timeout,
        ),
        max_line_size=MAX_RESPONSE_HEADER_BYTES,
        max_field_size=MAX_RESPONSE_HEADER_BYTES,
    )
    # aiohttp retries idempotent methods (PUT and DELETE included, bodies too)
    # once on a dropped keep-alive connection; the gateway's own policy is
    # narrower (bodiless GET/HEAD/OPTIONS). A private attribute: should a new
    # aiohttp rename it, tests/test_upstream_client.py
    # (test_only_bodiless_get_head_and_options_are_retried) fails.
    session._retry_connection = False
    return session


class Runtime:
    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.client = upstream_session(config)
        self.cache = TokenCache(
            max_entries=config.token_cache_size, max_age=config.token_cache_seconds
        )
        self.validator = TokenValidator(
            cache=self.cache,
            auth_url=config.upstreams["auth"],
            signing_key=config.signing_key,
            timeout=config.validate_timeout,
            client_getter=lambda: self.client,
            invalid_ttl=config.invalid_token_cache_seconds,
        )
        self.sockets = SocketRegistry()
        self.subscriber = RevocationSubscriber(
            redis_url=config.redis_url, cache=self.cache, listeners=(self.sockets,)
        )
        self.socket_watch = SocketWatch(
            registry=self.sockets,
            validate=self.validator.identify,
            subscribed=self.subscriber.subscribed.is_set,
            epoch=lambda: self.subscriber.epoch,
        )
        self.limiter = RateLimiter(
            redis_url=config.redis_url,
            prefix=config.rate_limit_prefix,
            user_budget=config.user_budget_per_minute,
            anon_budget=config.anon_budget_per_minute,
            login_window=config.login_window_seconds,
            login_per_account=config.login_failures_per_account,
            login_per_ip=config.login_failures_per_ip,
            uploads_per_minute=config.uploads_per_minute,
        )
        self.cors = Cors(config.cors_origins)
        self.security = SecurityHeaders(hsts_seconds=config.hsts_seconds)
        # No trailing slash (GatewayConfig strips it): base + forwarded path.
        self.base_urls = dict(config.upstreams)
        self.subscriber.start()
        self.socket_watch.start()

    async def aclose(self) -> None:
        await self.socket_watch.stop()
        await self.subscriber.stop()
        await self.client.close()
        await self.limiter.aclose()
