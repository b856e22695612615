from django.dispatch import Signal

# Sent inside the transaction that changed the tenant's SMTP config (save, toggle, delete),
# in that tenant's schema. The mailer uses it to resume emails waiting for a working SMTP.
smtp_config_changed = Signal()

# Sent after the commit that paused the tenant's custom SMTP (an integration-wide failure such
# as a refused password), in that tenant's schema, with ``config``. Accounts tells the admins.
smtp_paused = Signal()
