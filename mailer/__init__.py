"""The one way platform code sends transactional email: ``from mailer import send_email``."""


def send_email(kind, *, to, context, tenant=None):
    """Queue one email of ``kind`` to ``to``; see mailer.api.send_email."""
    from mailer.api import send_email as _send_email

    return _send_email(kind, to=to, context=context, tenant=tenant)
