from django.core.management.base import BaseCommand

from rentezy_platform.events import event_types, physical_topic, topic_for
from rentezy_platform.kafka.topics import ensure_topics


class Command(BaseCommand):
    help = "Create every event topic of the contracts directory and its .dlq (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--partitions", type=int, default=3)
        parser.add_argument("topics", nargs="*", help="topics (default: all from the contracts)")

    def handle(self, *args, partitions=3, topics=None, **options):
        names = [physical_topic(t) for t in topics] or sorted({topic_for(t) for t in event_types()})
        created = ensure_topics(names, partitions=partitions)
        for topic in created:
            self.stdout.write(f"created {topic}")
        self.stdout.write(f"{len(created)} created, all present: {', '.join(names)}")
