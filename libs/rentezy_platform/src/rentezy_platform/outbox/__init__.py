"""Transactional outbox (Django app label `outbox`).

Import the API from its modules, never from here at app-loading time:
`from rentezy_platform.outbox.services import outbox_enqueue`.
`outbox_enqueue` is also re-exported lazily for convenience.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    # Lazy so that INSTALLED_APPS can import this package before models load.
    if name in {"outbox_enqueue", "OutboxNotInTransaction", "outbox_prune"}:
        from rentezy_platform.outbox import services

        return getattr(services, name)
    raise AttributeError(name)
