"""scripts/infra/localstripe_server.py's index of localstripe objects by type
lists exactly what upstream's scan of the whole store lists, in the same
order, through creations, charges (with their events and refund listings),
deletions and a flush. Run in a fresh interpreter: the index patches
localstripe's classes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

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
