"""The variables each kind's template may use, the one it cannot do without, and samples."""

from __future__ import annotations

from mailer.kinds import KINDS

# Every email knows these: who sends it and how long its link or code stays valid.
COMMON = ("tenant_name", "expires_in", "expires_at")
OPTIONAL: dict[str, tuple[str, ...]] = {
    "invitation": ("inviter", "role"),
    "notification": ("action_url", "action_label"),
}
# What makes the email work: a sign-in code without its code is a locked-out user.
ESSENTIAL: dict[str, str] = {
    "verification": "verify_url",
    "recovery": "reset_url",
    "otp": "code",
    "magic_link": "login_url",
    "invitation": "accept_url",
    "notification": "message",
    "email_change": "confirm_url",
}
DESCRIPTIONS = {
    "tenant_name": "Your organisation's name",
    "expires_in": "How long the link or code stays valid, in the recipient's language",
    "expires_at": "When it stops working (date and time, UTC, in the recipient's language)",
    "verify_url": "The link that confirms the address",
    "reset_url": "The link to choose a new password",
    "code": "The six-digit sign-in code",
    "login_url": "The one-time sign-in link",
    "accept_url": "The link to accept the invitation",
    "inviter": "Who sent the invitation (may be empty)",
    "role": "The role offered (may be empty)",
    "title": "The notification's title",
    "message": "The notification's text",
    "action_url": "A link to act on it (may be empty)",
    "action_label": "The label of that link (may be empty)",
    "confirm_url": "The link that confirms the new address",
    "new_email": "The new address",
}
SAMPLES = {
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


def kind_variables(kind: str) -> tuple[str, ...]:
    """Every variable a template of ``kind`` may use, in the order the editor lists them."""
    return (*KINDS[kind].required, *OPTIONAL.get(kind, ()), *COMMON)


def sample_context(kind: str, *, base_url: str = "https://example.com") -> dict[str, str]:
    return {key: value.format(base=base_url) for key, value in SAMPLES[kind].items()}
