import django.utils.timezone
from django.db import migrations, models

# Audit events stay append-only, with one exception: the transaction that records an archive
# (``manage.py audit_archive``) may delete the events that archive holds, and nothing else.
# The archive records themselves can be neither changed nor deleted.
FORWARD = """
CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM public.audit_auditarchive a
        WHERE a.txid = txid_current()
          AND OLD.created_at < a.cutoff AND OLD.id <= a.last_event_id
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Old events leave only through manage.py audit_archive.';
END
$$;
CREATE OR REPLACE FUNCTION audit_archive_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit archives are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_archive_append_only
    BEFORE UPDATE OR DELETE ON audit_auditarchive
    FOR EACH ROW EXECUTE FUNCTION audit_archive_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_archive_append_only ON audit_auditarchive;
DROP FUNCTION IF EXISTS audit_archive_refuse_change();
CREATE OR REPLACE FUNCTION audit_event_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_target_exact_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditArchive',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('cutoff', models.DateTimeField()),
                ('last_event_id', models.BigIntegerField()),
                ('events', models.PositiveBigIntegerField()),
                ('file_name', models.CharField(max_length=500)),
                ('sha256', models.CharField(max_length=64)),
                ('txid', models.BigIntegerField(db_default=models.Func(function='txid_current', output_field=models.BigIntegerField()), unique=True)),
            ],
            options={
                'ordering': ['-created_at'],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
