"""The beat tick costs the same whatever the number of tenants."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from mailer.sweeper import email_sweep
from tests.mailer.helpers import queue


def test_the_sweep_is_two_statements_for_all_tenants_at_once(in_tenant_a, tenant_b):
    queue("otp", to="a@example.com")
    connection.set_schema_to_public()

    with CaptureQueriesContext(connection) as queries:
        due = email_sweep()

    assert due
    statements = [query["sql"].split()[0] for query in queries.captured_queries]
    assert [verb for verb in statements if verb != "SET"] == ["UPDATE", "SELECT"]
    assert not any("tenants_tenant" in query["sql"] for query in queries.captured_queries)
