"""The Celery app. tenant-schemas-celery carries the schema in each task's headers."""

import os

from celery.signals import worker_ready, worker_shutdown
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cymmetri.settings")

# Tasks that probe other people's servers: they go to CELERY_PROBE_QUEUE.
PROBE_TASKS = ("smtp_integration.tasks.", "deliverability.tasks.")


def task_route(name, args, kwargs, options, task=None, **kw):
    """Probe tasks to the probe queue (read at every send: tests point it elsewhere)."""
    from django.conf import settings

    if name.startswith(PROBE_TASKS):
        return {"queue": settings.CELERY_PROBE_QUEUE}
    return None


app = CeleryApp("cymmetri")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_heartbeat = None


@worker_ready.connect(dispatch_uid="cymmetri.heartbeat.start")
def _heartbeat_start(sender, **kwargs) -> None:
    """Every worker announces itself and its queues in Redis while it lives."""
    from cymmetri.heartbeat import WorkerHeartbeat

    global _heartbeat
    controller = sender.controller
    _heartbeat = WorkerHeartbeat(
        hostname=sender.hostname,
        queues=list(sender.app.amqp.queues.consume_from),
        pool=type(controller.pool).__module__.rsplit(".", 1)[-1],
        concurrency=controller.concurrency,
    ).start()


@worker_shutdown.connect(dispatch_uid="cymmetri.heartbeat.stop")
def _heartbeat_stop(sender, **kwargs) -> None:
    if _heartbeat is not None:
        _heartbeat.stop()
