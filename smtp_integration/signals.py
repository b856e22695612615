from django.dispatch import Signal

# Sent inside the transaction that changed the tenant's SMTP config (save, toggle, delete),
# in that tenant's schema. The mailer uses it to resume emails waiting for a working SMTP.
smtp_config_changed = Signal()
