import django.db.models
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations


class Migration(migrations.Migration):
    # Built without locking the outbox against writes: it may be large when this runs.
    atomic = False

    dependencies = [("mailer", "0003_claims_counted")]

    operations = [
        AddIndexConcurrently(
            model_name="outboundemail",
            index=django.db.models.Index(
                condition=django.db.models.Q(("status__in", ["sent", "failed"])),
                fields=["finished_at"],
                name="mailer_finished",
            ),
        ),
    ]
