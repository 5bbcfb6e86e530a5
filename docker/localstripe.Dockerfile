# syntax=docker/dockerfile:1
# localstripe (a stateful fake Stripe that sends signed webhooks) for the
# Compose stack, run as the native stack runs it (scripts/infra/localstripe_server.py),
# at the version the workspace's lock pins. Never part of a production deployment.
FROM python:3.11-slim-bookworm
RUN pip install --no-cache-dir localstripe==1.15.10 \
    && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin localstripe
COPY scripts/infra/localstripe_server.py /app/localstripe_server.py
WORKDIR /app
USER 10001
EXPOSE 8420
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8420/js.stripe.com/v3/', timeout=2)"]
ENTRYPOINT ["python", "/app/localstripe_server.py"]
CMD ["--host", "0.0.0.0"]
