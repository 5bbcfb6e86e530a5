from django.core.management.base import BaseCommand

from rentezy_platform.outbox.relay import OutboxRelay


class Command(BaseCommand):
    help = (
        "Publish committed outbox rows to Kafka until SIGTERM/SIGINT "
        "(run exactly one per service; see rentezy_platform.outbox.relay)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None, help="rows per batch")
        parser.add_argument(
            "--poll-interval",
            type=float,
            default=None,
            help="fallback poll in seconds when no NOTIFY arrives",
        )

    def handle(self, *args, batch_size=None, poll_interval=None, **options):
        relay = OutboxRelay(batch_size=batch_size, poll_interval=poll_interval)
        relay.install_signal_handlers()
        # Returns after the batch in progress once a signal arrives: exit 0.
        relay.run()
