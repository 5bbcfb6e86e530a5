"""The platform as it is deployed: one table that docker-compose.yml and the
Kubernetes workloads under k8s/base/ are generated from (scripts/deploy/generate.py),
and that tests/test_deployment.py checks both against.

The processes are the native stack's: every line of the Procfile becomes one
Compose service and one Kubernetes Deployment of the same name, running the
service's image with the role (rentezy_platform.serve) its command implies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

IMAGE_REGISTRY = "rentezy"  # images are rentezy/<folder>; overlays set registry and tag
WEB_IMAGE = "rentezy/web"
PORT = 8000


@dataclass(frozen=True)
class Service:
    process: str  # the Procfile name of its web process
    folder: str
    package: str
    server: str  # gunicorn | uvicorn | gateway
    database: str | None
    uses: tuple[str, ...]  # infrastructure it talks to
    secrets: tuple[str, ...] = ()  # besides DJANGO_SECRET_KEY, GATEWAY_SIGNING_KEY
    media: bool = False

    @property
    def image(self) -> str:
        return f"{IMAGE_REGISTRY}/{self.folder}"


SERVICES = [
    Service("gateway", "api_gateway", "rentezy-api-gateway", "gateway", None, ("redis",)),
    Service(
        "auth", "auth_service", "rentezy-auth-service", "gunicorn", "rentezy_auth",
        ("postgres", "kafka", "smtp"), secrets=("JWT_SIGNING_KEY", "EMAIL_HOST_PASSWORD"),
    ),
    Service(
        "property", "property_service", "rentezy-property-service", "gunicorn",
        "rentezy_property", ("postgres", "kafka"), media=True,
    ),
    Service(
        "booking", "booking_service", "rentezy-booking-service", "gunicorn", "rentezy_booking",
        ("postgres", "kafka", "redis"),
    ),
    Service(
        "rent", "rent_service", "rentezy-rent-service", "gunicorn", "rentezy_rent",
        ("postgres", "kafka", "redis", "stripe"),
        secrets=("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"),
    ),
    Service(
        "chat", "chat_service", "rentezy-chat-service", "uvicorn", "rentezy_chat",
        ("postgres", "kafka", "redis"),
    ),
    Service(
        "notification", "notification_service", "rentezy-notification-service", "uvicorn",
        "rentezy_notification", ("postgres", "kafka", "redis", "smtp"),
        secrets=("EMAIL_HOST_PASSWORD",),
    ),
    Service(
        "search", "search_service", "rentezy-search-service", "gunicorn", "rentezy_search",
        ("postgres", "kafka", "search"),
    ),
]  # fmt: skip
BY_FOLDER = {service.folder: service for service in SERVICES}
COMMON_SECRETS = ("DJANGO_SECRET_KEY", "GATEWAY_SIGNING_KEY")
ALL_SECRETS = sorted(
    {*COMMON_SECRETS, "POSTGRES_PASSWORD", *(s for svc in SERVICES for s in svc.secrets)}
)


@dataclass(frozen=True)
class Process:
    name: str  # the Procfile name: Compose service and Deployment name
    service: Service
    role: str  # web | relay | consume | worker | beat
    concurrency: str | None = None  # Celery worker concurrency

    @property
    def singleton(self) -> bool:
        """Exactly one may run: Beat (one scheduler) and an outbox relay (one
        relay per service keeps per-key order, rentezy_platform.outbox.relay)."""
        return self.role in ("beat", "relay")


_ROLES = {
    "outbox_relay": "relay",
    "consume": "consume",
    " worker ": "worker",
    " beat ": "beat",
}


def procfile() -> dict[str, str]:
    lines = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line and not line.startswith("#") and ":" in line:
            name, command = line.split(":", 1)
            lines[name.strip()] = command.strip()
    return lines


def processes() -> list[Process]:
    """Every Procfile process but `web` (the Vite dev server; in Compose and
    Kubernetes the built web app is served by nginx: `web` too, image rentezy/web)."""
    out = []
    for name, command in procfile().items():
        if name == "web":
            continue
        folder = re.match(r"cd (\w+) &&", command).group(1)
        service = BY_FOLDER[folder]
        role = next((r for marker, r in _ROLES.items() if marker in command), "web")
        concurrency = None
        if role == "worker":
            concurrency = re.search(r"--concurrency (\d+)", command).group(1)
        out.append(Process(name, service, role, concurrency))
    return out


def web_processes() -> list[Process]:
    return [p for p in processes() if p.role == "web"]
