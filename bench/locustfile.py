"""The realistic mix of bench/load_bench.py, for locust (run from its own
environment, tools/locust). Each simulated user is one of the accounts the
bench registered (RENTEZY_LOAD_ACCOUNTS, a JSON file): tenants search, open
properties, list and book viewings, read their notifications and invoices and
chat with a landlord; landlords read their bookings and reply.

The load steps up (StepShape): RENTEZY_LOAD_STEPS users, each step held for
RENTEZY_LOAD_STEP_SECONDS; locust's CSV history records every second, which
load_bench.py cuts into steps."""

from __future__ import annotations

import json
import os
import random

from locust import HttpUser, LoadTestShape, between, task

ACCOUNTS = json.loads(open(os.environ["RENTEZY_LOAD_ACCOUNTS"]).read())  # noqa: SIM115
STEPS = [int(n) for n in os.environ.get("RENTEZY_LOAD_STEPS", "4,8,16,32,64").split(",")]
STEP_SECONDS = float(os.environ.get("RENTEZY_LOAD_STEP_SECONDS", "20"))
QUERIES = ["flat", "garden", "studio", "balcony", "bright", "quiet", "loft", "family"]


class Tenant(HttpUser):
    weight = 4
    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        self.account = random.choice(ACCOUNTS["tenants"])
        self.headers = {"Authorization": f"Bearer {self.account['access']}"}

    @task(8)
    def search(self) -> None:
        self.client.get(
            "/api/search/properties",
            params={"q": random.choice(QUERIES), "page_size": 20},
            name="search",
        )

    @task(5)
    def property_view(self) -> None:
        self.client.get(f"/api/properties/{random.choice(ACCOUNTS['properties'])}",
                        name="property view")  # fmt: skip

    @task(2)
    def slots(self) -> None:
        self.client.get("/api/bookings/slots",
                        params={"property_id": random.choice(ACCOUNTS["slot_properties"])},
                        name="slots")  # fmt: skip

    @task(1)
    def book_and_cancel(self) -> None:
        slot = random.choice(ACCOUNTS["slots"])
        with self.client.post("/api/bookings", json={"slot_id": slot}, headers=self.headers,
                              name="book", catch_response=True) as response:  # fmt: skip
            if response.status_code == 201:
                response.success()
                booking = response.json()["id"]
                self.client.post(f"/api/bookings/{booking}/cancel", headers=self.headers,
                                 name="cancel booking")  # fmt: skip
            elif response.status_code == 409:  # already booked or full: a valid answer
                response.success()

    @task(4)
    def notifications(self) -> None:
        self.client.get("/api/notifications", headers=self.headers, name="notifications")

    @task(2)
    def invoices(self) -> None:
        self.client.get("/api/rent/invoices", headers=self.headers, name="invoices")

    @task(2)
    def chat(self) -> None:
        conversation = self.account["conversation"]
        self.client.get(f"/api/chat/conversations/{conversation}/messages", headers=self.headers,
                        name="chat messages")  # fmt: skip
        self.client.post(f"/api/chat/conversations/{conversation}/messages",
                         json={"body": "Is the flat still available?"}, headers=self.headers,
                         name="chat send")  # fmt: skip


class Landlord(HttpUser):
    weight = 1
    wait_time = between(0.1, 0.5)

    def on_start(self) -> None:
        self.account = random.choice(ACCOUNTS["landlords"])
        self.headers = {"Authorization": f"Bearer {self.account['access']}"}

    @task(3)
    def bookings(self) -> None:
        self.client.get("/api/bookings", headers=self.headers, name="landlord bookings")

    @task(2)
    def conversations(self) -> None:
        self.client.get("/api/chat/conversations", headers=self.headers, name="conversations")

    @task(1)
    def own_properties(self) -> None:
        self.client.get("/api/properties", params={"owner": "me"}, headers=self.headers,
                        name="own properties")  # fmt: skip


class StepShape(LoadTestShape):
    def tick(self):
        run_time = self.get_run_time()
        step = int(run_time // STEP_SECONDS)
        if step >= len(STEPS):
            return None
        users = STEPS[step]
        return users, users  # spawn the whole step at once
