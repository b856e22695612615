from django.apps import AppConfig


class SmtpIntegrationConfig(AppConfig):
    name = "smtp_integration"
    verbose_name = "Email SMTP integration"
    # Granted to the "Tenant admins" group of every tenant (accounts.roles).
    tenant_admin_permissions = ["view_smtpconfig", "change_smtpconfig"]
