"""DeliverabilityState moved from smtp_integration to this app: existing rows come along."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from deliverability.models import DeliverabilityState

OLD_TABLE, NEW_TABLE = "smtp_integration_deliverabilitystate", "deliverability_deliverabilitystate"
# Unapplying this app's first migration unapplies smtp_integration 0003 too: the layout
# every schema had before the move.
BEFORE_THE_MOVE = [("deliverability", None)]


def _migrate(targets=None):
    """Migrate the current tenant schema (all the way up without targets); the new state."""
    executor = MigrationExecutor(connection)
    return executor.migrate(targets or executor.loader.graph.leaf_nodes())


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def test_a_schema_migrated_before_the_move_keeps_its_row_and_permissions(in_tenant_a):
    view = Permission.objects.get(codename="view_deliverabilitystate")
    old = _migrate(BEFORE_THE_MOVE).apps.get_model("smtp_integration", "DeliverabilityState")
    assert OLD_TABLE in _tables() and NEW_TABLE not in _tables()
    assert Permission.objects.get(pk=view.pk).content_type.app_label == "smtp_integration"
    old.objects.create(
        dkim_selectors=["pm"],
        domain="example.com",
        smtp_host="smtp.postmarkapp.com",
        overall="fail",
        known_overall="pass",
        report={"version": 1, "rows": []},
    )

    _migrate()

    assert NEW_TABLE in _tables() and OLD_TABLE not in _tables()
    state = DeliverabilityState.objects.get()
    assert (state.domain, state.overall, state.known_overall) == ("example.com", "fail", "pass")
    assert (state.dkim_selectors, state.report) == (["pm"], {"version": 1, "rows": []})
    moved = Permission.objects.get(pk=view.pk)  # the same row: group grants survive
    assert (moved.content_type.app_label, moved.codename) == ("deliverability", view.codename)
    assert Permission.objects.filter(codename="view_deliverabilitystate").count() == 1
