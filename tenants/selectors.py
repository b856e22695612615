"""Reads about tenants."""

from django.db import connection

from tenants.models import Tenant


def tenant_current() -> Tenant | None:
    """The tenant whose schema the connection is in (None in public), as a full model.

    django-tenants' schema_context() leaves a stand-in without the model's fields on the
    connection; this loads the real row in that case.
    """
    if connection.schema_name == "public":
        return None
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant):
        return tenant
    return Tenant.objects.get(schema_name=connection.schema_name)
