"""The web app in a real browser against the real stack: headless Debian
Chromium (scripts/browser.sh installs it), driven by playwright-core from
frontend/e2e/ (run by Vitest), through Vite's server in front of this
session's gateway and every service with their relays, consumers and Celery
workers, localstripe as Stripe (its Stripe.js stand-in in the page).

What the browser does is frontend/e2e/flows.e2e.ts: a landlord lists a
property with a photo and opens a viewing slot; a tenant finds it by search
and facets and books it while the landlord's bell updates live; they chat
live; the tenant requests the rental and the landlord approves; the tenant
saves a card through Elements, pays the first invoice and has a receipt.
axe-core checks every page (no serious or critical violation) and no page
may log a console error.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.services(
    "auth", "property", "search", "booking", "rent", "chat", "notification"
)

ROOT = Path(__file__).resolve().parents[1]
FRONTEND = ROOT / "frontend"


def chromium() -> str:
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "browser.sh")], capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def web(platform):
    """Vite's server on the session's web port, proxying to the session's gateway."""
    env = {
        **os.environ,
        **platform.env,
        "API_GATEWAY_PORT": str(platform.gateway_port),
        "WEB_APP_PORT": str(platform.web_port),
    }
    log = (platform.root / "logs" / "web.log").open("ab")
    server = subprocess.Popen(
        [str(FRONTEND / "node_modules" / ".bin" / "vite"), "--host", "127.0.0.1", "--port",
         str(platform.web_port), "--strictPort", "--clearScreen", "false"],
        cwd=FRONTEND,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(platform.web_url, timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, "the web server exited"
            assert time.monotonic() < deadline, "the web server did not answer within 60 s"
            time.sleep(0.3)
        yield platform.web_url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_the_whole_product_in_a_browser(platform, web):
    env = {
        **os.environ,
        "WEB_URL": web,
        "CHROMIUM_PATH": chromium(),
        "E2E_ARTIFACTS": str(platform.root / "logs"),
        **(
            {"SCREENSHOTS_DIR": os.environ["SCREENSHOTS_DIR"]}
            if "SCREENSHOTS_DIR" in os.environ
            else {}
        ),
    }
    result = subprocess.run(
        [str(FRONTEND / "node_modules" / ".bin" / "vitest"), "run", "--config",
         "vitest.e2e.config.ts", "--reporter=verbose"],
        cwd=FRONTEND,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-4000:]
    assert "1 passed" in result.stdout
