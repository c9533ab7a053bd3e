"""gunicorn for the web processes (`gunicorn -c deploy/gunicorn.conf.py rentcenter.wsgi`).

Synchronous workers, 2 × cores + 1 of them, as the README's deployment section says; each
worker loads the PDF fonts when it starts, so the first 导出 PDF after a restart does not wait
for them. Every value can be overridden on the command line or with GUNICORN_CMD_ARGS.
"""

import multiprocessing
import os
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
timeout = 30
graceful_timeout = 20
# Behind nginx, which buffers slow clients: a short keep-alive is enough.
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None


def on_starting(server) -> None:
    warn_of_a_cache_per_worker(server)
    # Counts of an earlier run of this container are not this run's (rentcenter/metrics.py).
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def warn_of_a_cache_per_worker(server) -> None:
    """ALLOW_LOCAL_CACHE=1 is for one process: with several, each keeps its own rate limits,
    captcha answers and SMS circuit breaker, so the limits multiply (issue 17). Said once, at
    start, where the number of workers is known."""
    local = os.environ.get("ALLOW_LOCAL_CACHE", "").strip().lower() in {"1", "true", "yes", "on"}
    if local and not os.environ.get("REDIS_URL") and server.cfg.workers > 1:
        server.log.warning(
            "ALLOW_LOCAL_CACHE=1 with %d worker processes: each keeps its own cache, so rate "
            "limits, captcha answers and the SMS circuit breaker are not shared and every "
            "limit is multiplied. Set REDIS_URL, or run one worker (WEB_CONCURRENCY=1).",
            server.cfg.workers,
        )


def post_worker_init(worker) -> None:
    from applications.pdf import warm_up

    warm_up()


def child_exit(server, worker) -> None:
    # /metrics adds up every worker's counts (PROMETHEUS_MULTIPROC_DIR); a dead worker's live
    # gauges are dropped, its counters kept.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
