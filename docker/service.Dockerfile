# syntax=docker/dockerfile:1
# One image per service, from the repository root:
#
#   docker build -f docker/service.Dockerfile \
#     --build-arg SERVICE=auth_service --build-arg PACKAGE=rentezy-auth-service \
#     --build-arg SERVER=gunicorn -t rentezy/auth_service .
#
# It runs every role of its service by command (rentezy_platform.serve): `web`
# (default: gunicorn, uvicorn or the gateway with the native stack's flags),
# `relay`, `consume`, `worker`, `beat`, `migrate`. One Dockerfile for all
# eight services on purpose: they differ only in these arguments, and eight
# copies would drift.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG PACKAGE
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /src
# The workspace's manifests and lock: the dependency layer is rebuilt only
# when they change.
COPY pyproject.toml uv.lock ./
COPY libs/rentezy_platform/pyproject.toml libs/rentezy_platform/pyproject.toml
COPY api_gateway/pyproject.toml api_gateway/pyproject.toml
COPY auth_service/pyproject.toml auth_service/pyproject.toml
COPY property_service/pyproject.toml property_service/pyproject.toml
COPY booking_service/pyproject.toml booking_service/pyproject.toml
COPY rent_service/pyproject.toml rent_service/pyproject.toml
COPY chat_service/pyproject.toml chat_service/pyproject.toml
COPY notification_service/pyproject.toml notification_service/pyproject.toml
COPY search_service/pyproject.toml search_service/pyproject.toml
RUN uv sync --frozen --no-dev --package "${PACKAGE}" --no-install-workspace
COPY libs/rentezy_platform libs/rentezy_platform
RUN uv sync --frozen --no-dev --package "${PACKAGE}" --no-editable

# checkov:skip=CKV_DOCKER_7:the base is the ARG above, a pinned python:3.11-slim-bookworm tag
FROM ${PYTHON_IMAGE}
ARG SERVICE
ARG SERVER=gunicorn
# /data/media: property photos (a named volume in Compose, EFS in Kubernetes)
# start owned by the service user, so a fresh volume is writable.
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin rentezy \
    && mkdir -p /data/media /seed && chown 10001:10001 /data/media /seed
COPY --from=build /opt/venv /opt/venv
COPY --chown=root:root ${SERVICE} /app
WORKDIR /app
ENV PATH=/opt/venv/bin:${PATH} \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_ENV=production \
    RENTEZY_SERVER=${SERVER} \
    RENTEZY_HEARTBEAT_FILE=/tmp/heartbeat \
    PORT=8000
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=2)"]
ENTRYPOINT ["python", "-m", "rentezy_platform.serve"]
CMD ["web"]
