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
  `localstripe --from-scratch`.
"""

from __future__ import annotations

import argparse
import logging

from aiohttp import web
from localstripe import resources, server


def _no_disk(*_args, **_kwargs) -> None:
    """The store stays in memory (see the module doc)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()
    resources.Store.dump_to_disk = _no_disk
    resources.Store.try_load_from_disk = _no_disk
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    web.run_app(server.app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
