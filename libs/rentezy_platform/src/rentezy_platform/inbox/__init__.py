"""Idempotent consumer inbox (Django app label `inbox`).

`from rentezy_platform.inbox.services import inbox_process`; re-exported
lazily here so INSTALLED_APPS can import the package before models load.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "inbox_process":
        from rentezy_platform.inbox.services import inbox_process

        return inbox_process
    raise AttributeError(name)
