from django_tenants.utils import tenant_context

from tenants.tasks import tenant_healthcheck
from tests.support import TENANTS


def test_a_task_queued_in_a_tenant_runs_in_that_tenants_schema(
    committed, use_celery_worker, tenant_a, tenant_b
):
    with tenant_context(tenant_a):
        from_a = tenant_healthcheck.delay()
    with tenant_context(tenant_b):
        from_b = tenant_healthcheck.delay()

    assert from_a.get(timeout=20) == {
        "schema": TENANTS["a"].schema,
        "users": [TENANTS["a"].admin_email],
    }
    assert from_b.get(timeout=20) == {
        "schema": TENANTS["b"].schema,
        "users": [TENANTS["b"].admin_email],
    }
    # The schema travelled in the headers, not as an argument.
    assert from_a.args in (None, [], ())
