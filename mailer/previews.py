"""Sample emails of every kind, for tenant admins to see what their users receive."""

from __future__ import annotations

from mailer.kinds import KINDS
from mailer.rendering import RenderedEmail, email_render

SAMPLE_CONTEXT = {
    "verification": {"verify_url": "{base}/accounts/verify/sample-token/"},
    "recovery": {"reset_url": "{base}/accounts/reset/sample/token/"},
    "otp": {"code": "493027"},
    "magic_link": {"login_url": "{base}/accounts/magic/sample-token/"},
    "invitation": {"accept_url": "{base}/accounts/invitation/sample/token/", "inviter": "Ada"},
    "notification": {
        "title": "New sign-in from an unknown device",
        "message": "Someone signed in to your account from Firefox on Linux.\nWas it you?",
    },
    "email_change": {
        "confirm_url": "{base}/accounts/email/confirm/sample-token/",
        "new_email": "new.address@example.com",
    },
}


def email_preview(kind: str, *, tenant_name: str, base_url: str) -> RenderedEmail:
    """The kind rendered with sample values, exactly as send_email() would render it."""
    context = {key: value.format(base=base_url) for key, value in SAMPLE_CONTEXT[kind].items()}
    return email_render(KINDS[kind], context=context, tenant_name=tenant_name)
