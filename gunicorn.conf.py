"""gunicorn as shipped (read from the working directory: `gunicorn cymmetri.wsgi`).

Requests never wait on other people's servers (Test connection and deliverability checks
run on the probe worker), so a request is short and CPU-bound: sync workers, about two per
core, and a timeout that only a stuck worker ever meets.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
worker_class = "sync"
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Load the app once in the master: workers start in milliseconds and share its memory.
preload_app = True
accesslog = "-"
# No max_requests: every restarted worker would leave one more metrics file to add up.


def child_exit(server, worker):
    """prometheus_client's multiprocess mode: forget a dead worker's live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
