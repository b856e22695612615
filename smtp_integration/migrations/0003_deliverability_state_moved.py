# DeliverabilityState now belongs to the deliverability app, whose 0001 took over the model
# and its table; here it leaves this app's migration state only, so no row is lost.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('smtp_integration', '0002_deliverability_state'),
        ('deliverability', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='DeliverabilityState',
                ),
            ],
            database_operations=[],
        ),
    ]
