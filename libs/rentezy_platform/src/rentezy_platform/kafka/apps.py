from django.apps import AppConfig


class KafkaConfig(AppConfig):
    """No models: installed only so `manage.py consume` and
    `manage.py kafka_ensure_topics` are available."""

    name = "rentezy_platform.kafka"
    label = "rentezy_kafka"
    verbose_name = "Kafka plumbing"
