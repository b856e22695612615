"""A username that is itself a credential (Postmark's Server API token) is sealed like the
password; the username column keeps only its mask. Existing rows are sealed in place."""

from django.db import migrations, models


def seal_secret_usernames(apps, schema_editor):
    from smtp_integration.providers import provider_for_host
    from smtp_integration.secrets import username_store

    SmtpConfig = apps.get_model("smtp_integration", "SmtpConfig")
    for config in SmtpConfig.objects.exclude(username="").filter(username_encrypted=""):
        provider = provider_for_host(config.host)
        if config.auth_method == "password" and provider and provider.username_is_secret:
            username_store(config, config.username, secret=True)
            config.save(update_fields=["username", "username_encrypted"])


class Migration(migrations.Migration):
    dependencies = [
        ("smtp_integration", "0004_oauth2_sign_in"),
    ]

    operations = [
        migrations.AddField(
            model_name="smtpconfig",
            name="username_encrypted",
            field=models.TextField(blank=True),
        ),
        # Not reversible: the plaintext is not put back into a clear column.
        migrations.RunPython(seal_secret_usernames, migrations.RunPython.noop),
    ]
