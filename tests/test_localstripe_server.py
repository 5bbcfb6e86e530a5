"""scripts/infra/localstripe_server.py's index of localstripe objects by type
lists exactly what upstream's scan of the whole store lists, in the same
order, through creations, charges (with their events and refund listings),
deletions and a flush. Run in a fresh interpreter: the index patches
localstripe's classes."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

import stripe

ROOT = Path(__file__).resolve().parents[1]

CHECK = textwrap.dedent(
    """
    import asyncio, importlib.util, sys
    from localstripe import resources

    spec = importlib.util.spec_from_file_location("server", sys.argv[1])
    server = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(server)
    resources.Store.dump_to_disk = server._no_disk
    resources.schedule_webhook = lambda event: None  # no event loop here; not what is checked
    store = resources.store

    def scanned(cls):  # upstream's StripeObject._api_list_all, verbatim in effect
        return [v for k, v in store.items() if k.startswith(cls.object + ":")]

    before = resources.Customer._api_create(email="before@example.com")
    server.install_type_index(store)
    customers = [before] + [
        resources.Customer._api_create(email=f"c{i}@example.com") for i in range(5)
    ]
    for customer in customers[:3]:
        card = resources.PaymentMethod._api_attach("pm_card_visa", customer=customer.id)
        intent = resources.PaymentIntent._api_create(
            amount=1000, currency="usd", customer=customer.id, payment_method=card.id
        )
        resources.PaymentIntent._api_confirm(intent.id)
    resources.Customer._api_delete(customers[4].id)
    kinds = [resources.Customer, resources.PaymentMethod, resources.PaymentIntent,
             resources.Charge, resources.Event, resources.Refund]
    counts = {}
    for cls in kinds:
        listed = resources.StripeObject._api_list_all.__func__(cls, "/v1/x")._list
        assert listed == scanned(cls), cls.object
        counts[cls.object] = len(listed)
    assert counts["customer"] == 5 and counts["charge"] == 3 and counts["event"] >= 3, counts
    assert [c.id for c in resources.Customer._api_list_all("/v1/customers", limit=100)._list] \\
        == [c.id for c in customers[:4] + [customers[5]]]
    store.clear()
    assert all(resources.StripeObject._api_list_all.__func__(cls, "/")._list == [] for cls in kinds)
    resources.Customer._api_create(email="after@example.com")
    assert len(resources.StripeObject._api_list_all.__func__(resources.Customer, "/")._list) == 1
    print("index ok", counts)
    """
)


def test_the_type_index_lists_what_the_upstream_scan_lists():
    result = subprocess.run(
        [sys.executable, "-c", CHECK, str(ROOT / "scripts" / "infra" / "localstripe_server.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "index ok" in result.stdout


def test_webhook_option_registers_an_endpoint_that_receives_signed_events(tmp_path):
    """`--webhook URL` (the Compose and dev-cluster localstripe) registers the
    endpoint at start: a customer created afterwards arrives there, signed with
    STRIPE_WEBHOOK_SECRET the way rent_service verifies."""
    received: list[tuple[bytes, str]] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the stdlib's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, self.headers["Stripe-Signature"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    secret = "whsec_test_compose_registration"
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "infra" / "localstripe_server.py"),
         "--port", str(port), "--webhook", f"http://127.0.0.1:{hook.server_port}/hook"],
        env={**os.environ, "STRIPE_WEBHOOK_SECRET": secret},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline, "localstripe did not start"
                time.sleep(0.2)
        request = urllib.request.Request(
            f"{base}/v1/customers", data=b"email=hook%40example.com", method="POST",
            headers={"Authorization": "Bearer sk_test_123"},
        )  # fmt: skip
        customer = json.loads(urllib.request.urlopen(request, timeout=5).read())
        deadline = time.monotonic() + 20
        while not any(customer["id"].encode() in body for body, _ in received):
            assert time.monotonic() < deadline, "no webhook arrived"
            time.sleep(0.1)
        body, signature = next((b, s) for b, s in received if customer["id"].encode() in b)
        event = stripe.Webhook.construct_event(body, signature, secret)
        assert event["type"] == "customer.created"
    finally:
        server.kill()
        server.wait(10)
        hook.shutdown()


def test_webhook_option_needs_a_secret():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "infra" / "localstripe_server.py"),
         "--webhook", "http://127.0.0.1:1/hook"],
        env={k: v for k, v in os.environ.items() if k != "STRIPE_WEBHOOK_SECRET"},
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "STRIPE_WEBHOOK_SECRET" in result.stderr
