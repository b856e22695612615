"""Reads about tenants."""

from __future__ import annotations

import time
from functools import cache

from django.db import connection
from django.db.models import Q

from cymmetri.db import model_columns, model_from_row, server_cursor
from tenants.models import DeliverabilityStatus, Domain, EmailHealth, Tenant

# Tenant rows change rarely (a display name); workers and schema_context() callers look them
# up per email, so each process keeps them this long instead of asking the database.
CACHE_SECONDS = 60.0
_cache: dict[tuple[str, object], tuple[float, Tenant]] = {}


def tenant_current() -> Tenant | None:
    """The tenant whose schema the connection is in (None in public), as a full model.

    django-tenants' schema_context() leaves a stand-in without the model's fields on the
    connection; this loads the real row in that case (cached per process).
    """
    if connection.schema_name == "public":
        return None
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant):
        return tenant
    return _cached("schema_name", connection.schema_name)


def tenant_for_domain(hostname: str) -> Tenant | None:
    """The tenant serving ``hostname``, read now (a request's tenant is never stale)."""
    # The tables by their full names: the connection's search_path is not needed, or set.
    with server_cursor(search_path=False) as cursor:
        cursor.execute(_domain_sql(), [hostname])
        row = cursor.fetchone()
    return None if row is None else model_from_row(Tenant, row)


@cache
def _domain_sql() -> str:
    return (
        f"SELECT {model_columns(Tenant, 't')} FROM public.{Tenant._meta.db_table} t "  # noqa: S608
        f"JOIN public.{Domain._meta.db_table} d ON d.tenant_id = t.id WHERE d.domain = %s"
    )


def tenant_get(pk: int) -> Tenant:
    """The tenant with this id (cached per process)."""
    return _cached("pk", pk)


def _cached(field: str, value) -> Tenant:
    key = (field, value)
    hit = _cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    tenant = Tenant.objects.get(**{field: value})
    _cache[key] = (now, tenant)
    return tenant


def tenants_email_trouble() -> dict[str, list[str]]:
    """Schema names of the tenants whose own SMTP is paused, and of those whose sending
    domain is red, for operators (one query on the public table)."""
    rows = Tenant.objects.filter(
        Q(email_health=EmailHealth.PAUSED) | Q(email_deliverability=DeliverabilityStatus.FAIL)
    ).values_list("schema_name", "email_health", "email_deliverability")
    trouble: dict[str, list[str]] = {"paused": [], "degraded": []}
    for schema, health, deliverability in rows:
        if health == EmailHealth.PAUSED:
            trouble["paused"].append(schema)
        if deliverability == DeliverabilityStatus.FAIL:
            trouble["degraded"].append(schema)
    return trouble
