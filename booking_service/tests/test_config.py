"""booking_service runs on the platform: probes, gateway trust, clean configuration."""

from rentezy_platform.testing.service_contract import ServiceContract


class TestBookingServiceContract(ServiceContract):
    service_name = "booking_service"
    readiness_checks = ("database", "kafka")
    consumer = {
        "group_id": "booking_service",
        "topics": ["rentezy.property", "rentezy.payment"],
        "handlers": "bookings.handlers.HANDLERS",
    }


def test_the_procfile_runs_this_services_celery_worker_and_beat_under_respawn():
    """The native stack's worker and Beat are the `config/celery.py` app run
    from this service's folder, each restarted by respawn (honcho would stop
    the whole stack on an exit)."""
    from pathlib import Path

    procfile = Path(__file__).resolve().parents[2] / "Procfile"
    lines = dict(
        line.split(": ", 1)
        for line in procfile.read_text().splitlines()
        if line and not line.startswith("#")
    )
    respawn = "exec ../.venv/bin/python -m rentezy_platform.respawn"
    assert lines["booking-worker"].startswith(
        f"cd booking_service && {respawn} --name booking-worker -- "
        "../.venv/bin/celery -A config worker "
    )
    assert lines["booking-beat"].startswith(
        f"cd booking_service && {respawn} --name booking-beat -- "
        "../.venv/bin/celery -A config beat "
    )


def test_the_celery_app_serves_every_task_on_this_services_queue():
    from config.celery import app

    app.loader.import_default_modules()
    assert sorted(name for name in app.tasks if name.startswith("bookings.")) == [
        "bookings.expire_pending_reservations",
        "bookings.prune_idempotency_keys",
        "bookings.release_due_reservations",
        "bookings.release_unpaid_reservation",
    ]
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert sorted(entry["task"] for entry in app.conf.beat_schedule.values()) == [
        "bookings.expire_pending_reservations",
        "bookings.prune_idempotency_keys",
        "bookings.release_due_reservations",
    ]
