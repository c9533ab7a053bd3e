"""The 选房大厅's watchers, as Locust users (benchmarks/allocation.py): each polls the board
fragment every 3 seconds, as htmx does in a visitor's browser, without cookies."""

import os

from locust import FastHttpUser, constant, task

HALL = os.environ["LOADTEST_HALL"]


class HallWatcher(FastHttpUser):
    wait_time = constant(3)

    @task
    def poll(self) -> None:
        self.client.get(HALL, headers={"HX-Request": "true"}, name="选房大厅 htmx hall")
