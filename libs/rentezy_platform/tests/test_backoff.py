"""The one exponential backoff of the relay and the consumer (kafka/worker.py)."""

from rentezy_platform.kafka.worker import Backoff
from rentezy_platform.outbox import relay


def test_doubles_up_to_the_cap_and_resets():
    backoff = Backoff(initial=0.2, maximum=1.0)
    assert [backoff.next_delay() for _ in range(5)] == [0.2, 0.4, 0.8, 1.0, 1.0]
    backoff.reset()
    assert backoff.next_delay() == 0.2


def test_the_relay_uses_the_same_class():
    assert relay.Backoff is Backoff
