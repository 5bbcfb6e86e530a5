"""`manage.py consume`: the service's Kafka consumer.

settings.KAFKA_CONSUMER names the group, the topics and the dotted path of the
`HANDLERS` mapping (event type → handler). By convention that mapping is
`<app>.handlers.HANDLERS`: `handlers.py` holds the handlers of other services'
events, `events.py` the events the service publishes (ServiceContract checks it).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from rentezy_platform.events import physical_topic
from rentezy_platform.kafka.consumer import ConsumerRunner

# Optional keys of settings.KAFKA_CONSUMER passed through to ConsumerRunner.
RUNNER_OPTIONS = (
    "max_retries",
    "backoff_initial",
    "backoff_max",
    "batch_size",
    "poll_timeout",
    "commit_interval",
)


class Command(BaseCommand):
    help = (
        "Consume the Kafka topics of settings.KAFKA_CONSUMER = {'group_id': ..., "
        "'topics': [...], 'handlers': '<app>.handlers.HANDLERS'} until SIGTERM/SIGINT. "
        "A service's consumer handlers live in its app's handlers.py (events.py "
        "holds what it publishes)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--group-id",
            help=(
                "consumer group instead of KAFKA_CONSUMER['group_id']: a new group "
                "replays the topics from the beginning (e.g. into a fresh search index)"
            ),
        )

    def handle(self, *args, group_id=None, **options):
        conf = getattr(settings, "KAFKA_CONSUMER", None)
        if not conf:
            raise CommandError(
                f"service {getattr(settings, 'SERVICE_NAME', '?')!r} has no Kafka consumer "
                "configured (settings.KAFKA_CONSUMER is not set); nothing to run"
            )
        missing = [key for key in ("group_id", "topics", "handlers") if not conf.get(key)]
        if missing:
            raise CommandError(f"settings.KAFKA_CONSUMER lacks {', '.join(missing)}")
        handlers = conf["handlers"]
        if isinstance(handlers, str):
            try:
                handlers = import_string(handlers)
            except ImportError as exc:
                raise CommandError(f"cannot import KAFKA_CONSUMER handlers: {exc}") from exc
        try:
            transient_errors = tuple(
                import_string(path) for path in conf.get("transient_errors", ())
            )
        except ImportError as exc:
            raise CommandError(f"cannot import KAFKA_CONSUMER transient_errors: {exc}") from exc
        runner = ConsumerRunner(
            group_id or conf["group_id"],
            [physical_topic(topic) for topic in conf["topics"]],
            handlers,
            transient_errors=transient_errors,
            **{key: conf[key] for key in RUNNER_OPTIONS if key in conf},
        )
        runner.install_signal_handlers()
        # Returns after the current message is committed once a signal arrives.
        runner.run()
