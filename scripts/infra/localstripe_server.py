"""localstripe (a stateful fake Stripe server, pinned in the workspace's dev
dependencies) as the native stack runs it:

    .venv/bin/python scripts/infra/localstripe_server.py --port 8420

Two things differ from its own `localstripe` command, without touching what
it simulates:

- it listens on 127.0.0.1 only (upstream binds every IPv4 and IPv6 address);
- its state lives in memory only: upstream pickles its WHOLE store to the
  fixed path /tmp/localstripe.pickle after every POST (quadratic over a
  10,000-lease billing run, and one file shared by every checkout on the
  machine), and reloads it at start. A restart therefore starts empty, like
  `localstripe --from-scratch`;
- listing the objects of one type reads an index by type instead of scanning
  the whole store. Upstream scans every stored object, and every charge's
  export lists its refunds that way several times over (a PaymentIntent
  confirmed, its event, its webhook), so each charge cost time proportional
  to everything stored before it: 3.5 ms on an empty store, 82 ms after
  about 5,000 charges. The index holds the same objects in the same order
  (`install_type_index`; tests/test_localstripe_server.py compares it with
  the upstream scan).
"""

from __future__ import annotations

import argparse
import logging
import os

from aiohttp import web
from localstripe import resources, server, webhooks
from localstripe.errors import UserError


def _no_disk(*_args, **_kwargs) -> None:
    """The store stays in memory (see the module doc)."""


def install_type_index(store: resources.Store) -> None:
    """Keep, beside localstripe's store, its objects by type ("charge",
    "customer"...: the part of the key before ":"), in insertion order, and
    make StripeObject._api_list_all read that instead of scanning the store.
    Every subclass's own listing (filters, pagination) builds on it."""
    index: dict[str, dict[str, object]] = {}
    store_class = type(store)
    setitem, delitem, clear = store_class.__setitem__, store_class.__delitem__, store_class.clear

    def add(key: str, value: object) -> None:
        kind, sep, _ = key.partition(":")
        if sep:  # singletons such as "balance" are stored without an id, never listed
            index.setdefault(kind, {})[key] = value

    def index_setitem(self, key, value):
        setitem(self, key, value)
        add(key, value)

    def index_delitem(self, key):
        delitem(self, key)
        index.get(key.partition(":")[0], {}).pop(key, None)

    def index_clear(self):
        clear(self)
        index.clear()

    def list_all(cls, url, limit=None, starting_after=None, **kwargs):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        listing = resources.List(url, limit=limit, starting_after=starting_after)
        listing._list = list(index.get(cls.object, {}).values())
        return listing

    for key, value in store.items():
        add(key, value)
    store_class.__setitem__ = index_setitem
    store_class.__delitem__ = index_delitem
    store_class.clear = index_clear
    resources.StripeObject._api_list_all = classmethod(list_all)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument(
        "--webhook",
        metavar="URL",
        help="register this endpoint at start (id `rentezy`), signed with $STRIPE_WEBHOOK_SECRET"
        " (the Compose stack's rent_service; the native stack registers its own over HTTP)",
    )
    args = parser.parse_args()
    if args.webhook:
        secret = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
        if not secret or not args.webhook.startswith(("http://", "https://")):
            parser.error("--webhook needs an http(s) URL and STRIPE_WEBHOOK_SECRET set")
        webhooks.register_webhook("rentezy", args.webhook, secret, None)
    resources.Store.dump_to_disk = _no_disk
    resources.Store.try_load_from_disk = _no_disk
    install_type_index(resources.store)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    web.run_app(server.app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
