"""The outbox moves from every tenant's schema to one table in the public schema.

Until now the mailer was a tenant app: the public schema recorded 0001 without creating the
table, and each tenant schema held its own. This creates the public table where it is
missing, adds the tenant, priority and lease token, copies every tenant's emails across
(an email being sent becomes queued again: its worker's lease means nothing now) and drops
the tenant tables. Copied emails get new ids; audit events keep the ids they were written
with.
"""

import django.db.models.deletion
from django.db import migrations, models

URGENT, BULK = 0, 1
COLUMNS = (
    "kind, to_address, subject, body_text, body_html, message_id, force_platform_default, "
    "attempts, created_at, next_attempt_at, expires_at, waiting_for, finished_at, transport, "
    "fallback, smtp_host, reply_code, reply_text, failure_reason"
)


def create_public_table(apps, schema_editor):
    model = apps.get_model("mailer", "OutboundEmail")
    with schema_editor.connection.cursor() as cursor:
        tables = schema_editor.connection.introspection.table_names(cursor)
    if model._meta.db_table not in tables:
        schema_editor.create_model(model)


def copy_from_tenant_schemas(apps, schema_editor):
    Tenant = apps.get_model("tenants", "Tenant")
    with schema_editor.connection.cursor() as cursor:
        for tenant_id, schema in Tenant.objects.exclude(schema_name="public").values_list(
            "id", "schema_name"
        ):
            cursor.execute(
                "SELECT 1 FROM information_schema.tables "
                "WHERE table_schema = %s AND table_name = 'mailer_outboundemail'",
                [schema],
            )
            if cursor.fetchone() is None:
                continue
            cursor.execute(
                f"INSERT INTO public.mailer_outboundemail (tenant_id, priority, status, {COLUMNS}) "
                f"SELECT %s, CASE WHEN kind IN ('invitation', 'notification') THEN {BULK} "
                f"ELSE {URGENT} END, CASE WHEN status = 'sending' THEN 'queued' ELSE status END, "
                f'{COLUMNS} FROM "{schema}".mailer_outboundemail ORDER BY id',
                [tenant_id],
            )
            cursor.execute(f'DROP TABLE "{schema}".mailer_outboundemail')
        # The tenant column is made NOT NULL next, which PostgreSQL refuses while the foreign
        # key checks of these inserts are still deferred.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("mailer", "0001_initial"),
        ("tenants", "0003_email_state_choices"),
    ]

    operations = [
        migrations.RunPython(create_public_table, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="outboundemail", name="mailer_recent"),
        migrations.AddField(
            model_name="outboundemail",
            name="lease_token",
            field=models.UUIDField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="priority",
            field=models.PositiveSmallIntegerField(
                choices=[(0, "Urgent"), (1, "Bulk")], default=URGENT
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="tenant",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tenants.tenant",
            ),
        ),
        migrations.RunPython(copy_from_tenant_schemas, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="outboundemail",
            name="tenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tenants.tenant",
            ),
        ),
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(
                condition=models.Q(("status", "queued")),
                fields=["priority", "tenant", "next_attempt_at"],
                name="mailer_claim",
            ),
        ),
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(fields=["tenant", "-created_at"], name="mailer_recent"),
        ),
    ]
