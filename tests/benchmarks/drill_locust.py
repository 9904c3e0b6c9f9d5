"""The load of the drill (``tests.benchmarks.drill_load`` runs this as a child process): locust
as a library, headless. Kept apart because importing locust patches the standard library for
gevent, which the orchestrator's asyncio and subprocess work must not see.

Reads a JSON plan (argv[1]), runs the users for ``duration`` seconds and writes one line per
request to argv[2]: ``[unix time, kind, name, status, milliseconds]`` (status 0: no answer).
"""

from __future__ import annotations

import json
import random
import sys
import time
from typing import Any

import gevent
from locust import FastHttpUser, between, events, task
from locust.env import Environment

with open(sys.argv[1], encoding="utf-8") as plan_file:
    PLAN: dict[str, Any] = json.load(plan_file)
OUT = open(sys.argv[2], "w", encoding="utf-8")  # noqa: SIM115 - open for the whole run
SEARCHES = ("Jensen", "Nielsen", "Anne", "Hansen", "Peter", "Møller", "Fatima", "Lars")
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
)


@events.request.add_listener
def _record(request_type, name, response_time, response, exception, **_kw):  # type: ignore[no-untyped-def]
    status = getattr(response, "status_code", 0) or 0
    OUT.write(json.dumps([time.time(), request_type, name, status, round(response_time, 1)]))
    OUT.write("\n")


class _Base(FastHttpUser):
    abstract = True

    def _get(self, url: str, name: str, **kw: Any) -> None:
        with self.client.get(url, name=name, catch_response=True, **kw) as response:
            # a refusal is an answer; the figures count statuses, not locust's failures
            response.success()


class Coordinator(_Base):
    """Browses the pages with a session cookie: front page, people search, forløb list."""

    weight = 5
    wait_time = between(2, 6)

    def on_start(self) -> None:
        self.slug, cookie = random.choice(PLAN["coordinators"])
        self.headers = {"Cookie": f"{PLAN['cookie_name']}={cookie}"}

    @task(2)
    def front(self) -> None:
        self._get(f"/t/{self.slug}/", "page: front", headers=self.headers)

    @task(3)
    def search(self) -> None:
        q = random.choice(SEARCHES)
        self._get(f"/t/{self.slug}/deltagere?q={q}", "page: people search", headers=self.headers)

    @task(1)
    def forloeb(self) -> None:
        self._get(f"/t/{self.slug}/forloeb", "page: forløb", headers=self.headers)


class Mentor(_Base):
    """Logs a meeting from a phone (the API, as the page's form posts the same command)."""

    weight = 3
    wait_time = between(5, 15)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {PLAN['mentor_token']}", "User-Agent": PHONE}

    @task
    def log_meeting(self) -> None:
        forloeb = random.choice(PLAN["forloeb"])
        body = {
            "day": PLAN["today"],
            "activity": random.choice(["gaatur", "cafe", "sport", "andet"]),
            "duration_minutes": random.choice([30, 60, 90]),
        }
        url = f"/api/v1/t/{PLAN['mentor_tenant']}/forloeb/{forloeb}/meetings"
        with self.client.post(
            url, json=body, headers=self.headers, name="api: log meeting", catch_response=True
        ) as response:
            response.success()
        self._get(
            f"/api/v1/t/{PLAN['mentor_tenant']}/forloeb/{forloeb}",
            "api: forløb",
            headers=self.headers,
        )


class ApiClient(_Base):
    """An integration: lists and searches people and forløb with a bearer token."""

    weight = 2
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.slug, token = random.choice(PLAN["api_clients"])
        self.headers = {"Authorization": f"Bearer {token}"}

    @task(3)
    def people(self) -> None:
        q = random.choice(SEARCHES)
        self._get(
            f"/api/v1/t/{self.slug}/people?limit=50&q={q}", "api: people", headers=self.headers
        )

    @task(1)
    def forloeb(self) -> None:
        self._get(f"/api/v1/t/{self.slug}/forloeb", "api: forløb list", headers=self.headers)


def main() -> None:
    env = Environment(
        user_classes=[Coordinator, Mentor, ApiClient], host=PLAN["host"], events=events
    )
    runner = env.create_local_runner()
    runner.start(PLAN["users"], spawn_rate=PLAN["spawn_rate"])
    gevent.sleep(PLAN["duration"])
    runner.quit()
    OUT.close()


if __name__ == "__main__":
    main()
