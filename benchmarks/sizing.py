"""How many cores a plan's opening needs, from `make loadtest`'s CPU-ms per request (issue 20).

The question: a plan expects N registrants in its first ten minutes, with the browsing that
comes with them. How many web cores, database cores and task workers? The answer is arithmetic
on measured figures, with three assumptions said here and printed with the table:

- The browsing that comes with a registration is the opening mix of benchmarks/locustfile.py:
  70 % of visitors browse (home → 配租公告 → 项目详情 → 户型详情: 4 requests), 30 % register
  (立即登记 → 确认登记, one in ten pressing it twice → 登记成功 → 配租记录: 4.1 requests). Per
  registration: 4.1 + 70/30 × 4 = 13.43 requests. Its CPU-ms per request is the opening mix's,
  measured with the same flows at the same 70/30 ratio.
- PEAK_FACTOR = 3: arrivals are not spread evenly over the ten minutes. The opening time is
  announced, people wait for it, and most press in its first minutes; we have no arrival curve
  of Beijing's platform, so we size for a peak minute at three times the ten minutes' average
  (as if half the ten minutes' registrants came in the first 100 seconds). Below that the site
  slows exactly when everyone is watching.
- UTILISATION = 0.6: cores are counted so the peak keeps them 60 % busy. Response time grows
  as 1 / (1 - utilisation) in a queue: at 60 % a request waits about 1.5 times its service
  time, at 90 % ten times; the rest covers what the load test does not measure (TLS at nginx,
  uneven balancing between hosts, a host lost during the opening). At least two web cores,
  on two hosts, so that one can fail or be restarted.

Workers: every registration sends one text (登记成功). A worker sends one text at a time: its
time per text is its CPU per text (measured: worker CPU from the start of the registration
phase until the outbox is empty ÷ texts) plus the gateway's answer time, which this machine
cannot measure (the load test writes texts to a file): GATEWAY_SECONDS is an assumption of a
provider's HTTP API answering in 0.2 s; put the provider's figure in. In production the same
workers also render each record's PDF ahead (RECORD_PDF_AHEAD), which the load test turns off:
`make bench` gives the PDF's rendering time, to be added to the worker's time per registration.

Redis is single-threaded: a need above one core means more than one Redis (the cache and the
queue already have separate URLs), not a bigger one.
"""

import math
from dataclasses import dataclass

OPENING_SECONDS = 600
PLANS = (10_000, 50_000, 200_000)
PEAK_FACTOR = 3.0
UTILISATION = 0.6
MIN_WEB_CORES = 2
GATEWAY_SECONDS = 0.2
# The opening mix's flows (benchmarks/locustfile.py) and its ratio of browsing to registering.
BROWSE_REQUESTS = 4  # home, 配租公告, 项目详情, 户型详情
REGISTER_REQUESTS = 4.1  # 立即登记, 确认登记 (one in ten twice), 登记成功, 配租记录
BROWSE_PER_REGISTRATION = 70 / 30
TEXTS_PER_REGISTRATION = 1


def requests_per_registration() -> float:
    return REGISTER_REQUESTS + BROWSE_PER_REGISTRATION * BROWSE_REQUESTS


@dataclass(frozen=True)
class Size:
    registrants: int
    registrations_per_second: float  # at the peak
    requests_per_second: float  # at the peak
    cpu: dict[str, float]  # CPU seconds per second, per group, at the peak
    cores: dict[str, int]  # web, db, redis
    workers: int


def size(
    registrants: int,
    *,
    cpu_ms_per_request: dict[str, float],
    worker_cpu_seconds_per_text: float,
    peak_factor: float = PEAK_FACTOR,
    utilisation: float = UTILISATION,
    gateway_seconds: float = GATEWAY_SECONDS,
) -> Size:
    """What `registrants` in the first ten minutes need at the peak, from the opening mix's
    CPU-ms per request by group and the worker's CPU seconds per text."""
    registrations = registrants / OPENING_SECONDS * peak_factor
    requests = registrations * requests_per_registration()
    cpu = {group: requests * cpu_ms_per_request[group] / 1000 for group in ("web", "db", "redis")}
    cores = {group: whole(seconds / utilisation) for group, seconds in cpu.items()}
    cores["web"] = max(cores["web"], MIN_WEB_CORES)
    texts = registrations * TEXTS_PER_REGISTRATION
    cpu["worker"] = texts * worker_cpu_seconds_per_text
    workers = whole(texts * (worker_cpu_seconds_per_text + gateway_seconds) / utilisation)
    return Size(registrants, registrations, requests, cpu, cores, workers)


def whole(amount: float) -> int:
    """Rounded up, but 105.00000000000001 (63 / 0.6 in floating point) is 105."""
    return math.ceil(round(amount, 9))


def print_table(
    *, cpu_ms_per_request: dict[str, float], worker_cpu_seconds_per_text: float
) -> list[Size]:
    sizes = [
        size(
            registrants,
            cpu_ms_per_request=cpu_ms_per_request,
            worker_cpu_seconds_per_text=worker_cpu_seconds_per_text,
        )
        for registrants in PLANS
    ]
    print(
        f"Sizing: {requests_per_registration():.2f} requests per registration (opening mix), "
        f"peak = {PEAK_FACTOR:g} × the ten minutes' average, cores at {UTILISATION:.0%} busy, "
        f"at least {MIN_WEB_CORES} web cores; workers: {worker_cpu_seconds_per_text * 1000:.1f} "
        f"ms CPU per text + {GATEWAY_SECONDS:g} s gateway (assumed)"
    )
    print()
    print(
        "| registrants in 10 min | peak registrations/s | peak req/s | web cores | db cores "
        "| redis cores | workers |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for s in sizes:
        print(
            f"| {s.registrants:,} | {s.registrations_per_second:.0f} | "
            f"{s.requests_per_second:,.0f} | {s.cores['web']} ({s.cpu['web']:.1f}) | "
            f"{s.cores['db']} ({s.cpu['db']:.1f}) | {s.cores['redis']} ({s.cpu['redis']:.2f}) | "
            f"{s.workers} ({s.cpu['worker']:.2f}) |"
        )
    print("(in brackets: CPU seconds per second at the peak)")
    print()
    return sizes
