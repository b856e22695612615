"""The one way platform code sends transactional email: ``from mailer import send_email``."""


def send_email(kind, *, to, context, tenant=None, **options):
    """Queue one email of ``kind`` to ``to``; see mailer.services.send_email."""
    # Imported on call: this package is imported before Django has loaded the apps' models.
    from mailer.services import send_email as _send_email

    return _send_email(kind, to=to, context=context, tenant=tenant, **options)
