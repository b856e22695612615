# DeliverabilityState moved here from smtp_integration, whose 0002 created its table. The
# rows stay where they are: this app takes the model over in the migration state only, then
# renames the table to this app's name. smtp_integration 0003 drops its copy of the state.

from django.db import migrations, models

MODEL = "deliverabilitystate"


def _content_type_relabel(apps, schema_editor, *, old: str, new: str) -> None:
    # The model's permissions hang on its content type: relabel it instead of leaving a
    # stale type behind and a second set of permissions. A fresh schema has no row yet.
    types = apps.get_model("contenttypes", "ContentType").objects.using(
        schema_editor.connection.alias
    )
    if not types.filter(app_label=new, model=MODEL).exists():
        types.filter(app_label=old, model=MODEL).update(app_label=new)


def content_type_forwards(apps, schema_editor):
    _content_type_relabel(apps, schema_editor, old="smtp_integration", new="deliverability")


def content_type_backwards(apps, schema_editor):
    _content_type_relabel(apps, schema_editor, old="deliverability", new="smtp_integration")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('smtp_integration', '0002_deliverability_state'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DeliverabilityState',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('slot', models.PositiveSmallIntegerField(default=1, editable=False, unique=True)),
                        ('dkim_selectors', models.JSONField(blank=True, default=list)),
                        ('domain', models.CharField(blank=True, max_length=253)),
                        ('smtp_host', models.CharField(blank=True, max_length=253)),
                        ('provider_key', models.CharField(blank=True, max_length=40)),
                        ('report_selectors', models.JSONField(blank=True, default=list)),
                        ('report', models.JSONField(blank=True, null=True)),
                        ('overall', models.CharField(choices=[('pass', 'Ready'), ('warning', 'Ready, with warnings'), ('fail', 'Action needed'), ('unknown', 'Could not check')], default='unknown', max_length=10)),
                        ('known_overall', models.CharField(blank=True, choices=[('pass', 'Ready'), ('warning', 'Ready, with warnings'), ('fail', 'Action needed'), ('unknown', 'Could not check')], max_length=10)),
                        ('checked_at', models.DateTimeField(blank=True, null=True)),
                        ('checked_by_email', models.EmailField(blank=True, max_length=254)),
                        ('degraded_at', models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        'verbose_name': 'deliverability state',
                        'db_table': 'smtp_integration_deliverabilitystate',
                    },
                ),
            ],
            database_operations=[],
        ),
        # A real rename, rows included: the table now carries this app's name.
        migrations.AlterModelTable(
            name='deliverabilitystate',
            table=None,
        ),
        migrations.RunPython(content_type_forwards, content_type_backwards),
    ]
