"""Kafka plumbing: client configuration, topic creation, ConsumerRunner.

Installable as a Django app (`rentezy_platform.kafka`, label `rentezy_kafka`)
for its management commands. Names are re-exported lazily so that listing the
package in INSTALLED_APPS does not import models before the registry is ready.
"""

from typing import Any

_EXPORTS = {
    "ConsumerRunner": "rentezy_platform.kafka.consumer",
    "Handler": "rentezy_platform.kafka.consumer",
    "ensure_topics": "rentezy_platform.kafka.topics",
    "delete_topics": "rentezy_platform.kafka.topics",
    "dlq_topic": "rentezy_platform.kafka.topics",
    "producer_config": "rentezy_platform.kafka.config",
    "consumer_config": "rentezy_platform.kafka.config",
    "admin_config": "rentezy_platform.kafka.config",
    "bootstrap_servers": "rentezy_platform.kafka.config",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(name)
    from importlib import import_module

    return getattr(import_module(module), name)
