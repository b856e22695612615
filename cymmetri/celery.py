"""The Celery app. tenant-schemas-celery carries the schema in each task's headers."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cymmetri.settings")

app = CeleryApp("cymmetri")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
