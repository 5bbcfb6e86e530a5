"""`make infra-up` leaves every piece of infrastructure answering on loopback,
speaking its own protocol (not merely an open port)."""

import json
import os
import subprocess
import urllib.request
from urllib.parse import urlparse

import psycopg
import redis
from confluent_kafka.admin import AdminClient


def test_postgres_answers_with_every_service_database():
    with psycopg.connect(
        host="127.0.0.1",
        port=int(os.environ["POSTGRES_PORT"]),
        user=os.environ["POSTGRES_USER"],
        password=os.environ["POSTGRES_PASSWORD"],
        dbname="postgres",
        connect_timeout=5,
    ) as conn:
        names = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
    expected = {
        f"rentezy_{name}"
        for name in ("auth", "property", "booking", "rent", "chat", "notification", "search")
    }
    assert expected <= names


def test_redis_answers_ping_and_round_trips_a_value():
    client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=5)
    assert client.ping() is True
    client.set("rentezy:infra-test", "ok", ex=10)
    assert client.get("rentezy:infra-test") == b"ok"


def test_kafka_answers_the_kafka_protocol():
    admin = AdminClient({"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"]})
    metadata = admin.list_topics(timeout=10)
    assert len(metadata.brokers) == 1
    broker = next(iter(metadata.brokers.values()))
    assert broker.host == "127.0.0.1"
    assert broker.port == int(os.environ["KAFKA_BOOTSTRAP_SERVERS"].rsplit(":", 1)[1])


def test_opensearch_answers_with_its_version():
    with urllib.request.urlopen(os.environ["SEARCH_URL"] + "/", timeout=10) as response:
        body = json.load(response)
    assert body["version"]["distribution"] == "opensearch"
    assert body["version"]["number"].startswith("2.")
    assert urlparse(os.environ["SEARCH_URL"]).hostname == "127.0.0.1"


def test_stripe_mock_answers_the_stripe_api():
    request = urllib.request.Request(
        os.environ["STRIPE_MOCK_URL"] + "/v1/customers",
        headers={"Authorization": f"Bearer {os.environ['STRIPE_SECRET_KEY']}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.load(response)
    assert response.status == 200
    assert body["object"] == "list"


def test_localstripe_keeps_state_and_listens_on_loopback_only():
    base = os.environ["STRIPE_API_BASE"]
    assert urlparse(base).hostname == "127.0.0.1"
    auth = {"Authorization": f"Bearer {os.environ['STRIPE_SECRET_KEY']}"}
    created = urllib.request.Request(
        base + "/v1/customers",
        data=b"description=infrastructure+check",
        headers=auth,
        method="POST",
    )
    with urllib.request.urlopen(created, timeout=10) as response:
        customer = json.load(response)
    assert customer["id"].startswith("cus_")
    with urllib.request.urlopen(
        urllib.request.Request(f"{base}/v1/customers/{customer['id']}", headers=auth), timeout=10
    ) as response:
        assert json.load(response)["description"] == "infrastructure check"


def test_second_infra_up_provisions_nothing(repo_root):
    result = subprocess.run(
        ["bash", "scripts/infra/up.sh"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout.lower()
    assert "installing" not in output
    assert "starting" not in output
