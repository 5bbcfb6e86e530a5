"""Consumer handlers of the test project (`manage.py consume` in tests and the bench).

Every widget_changed type of the active contracts directory (tests create
their own per-test types) increments the event's effect counter.
"""

from rentezy_platform.events import event_types

from tests.widgets.services import effect_counter_increment, latency_sample_record

HANDLERS = {t: effect_counter_increment for t in event_types() if t.endswith(".widget_changed.v1")}

# bench/outbox_bench.py
BENCH_HANDLERS = {
    t: latency_sample_record for t in event_types() if t.endswith(".sample_recorded.v1")
}
