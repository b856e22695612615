"""The Celery app. tenant-schemas-celery carries the schema in each task's headers."""

import os

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
