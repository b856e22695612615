"""The built-in texts of the seven kinds, as Liquid sources in the active language.

Every sentence goes through gettext (context "email", catalogues in locale/), so a tenant
admin who customises an email starts from the text their users receive today, in that
language. ``scripts/messages.py`` extracts these sentences into the .po files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import pgettext


def t(message: str) -> str:
    """One sentence of a built-in email, in the active language."""
    return pgettext("email", message)


@dataclass(frozen=True)
class Source:
    subject: str
    text: str
    html: str
    footer: str


def _button(variable: str, label: str) -> str:
    # Liquid has no escape inside a string literal: a translation never carries a '"'.
    return f'{{{{ {variable} | button: "{label}" }}}}'


def _linked(
    *, subject: str, heading: str, intro: str, lead: str, url: str, label: str, note: str
) -> Source:
    """A kind whose point is one link: a button in HTML, the bare link in text."""
    return Source(
        subject=subject,
        text="\n\n".join(
            [t("Hello,"), f"{intro} {lead}", f"{{{{ {url} }}}}", note, "{{ tenant_name }}"]
        ),
        html="\n".join(
            [
                f"<h1>{heading}</h1>",
                f"<p>{intro}</p>",
                _button(url, label),
                f'<p class="note">{note}</p>',
            ]
        ),
        footer=_footer(),
    )


def _footer() -> str:
    return t(
        "This email was sent by {{ tenant_name }} because of an action on your account. "
        "If you did not expect it, you can ignore it."
    )


def _verification() -> Source:
    return _linked(
        subject=t("Confirm your email address for {{ tenant_name }}"),
        heading=t("Confirm your email address"),
        intro=t("Please confirm that this is your email address for {{ tenant_name }}."),
        lead=t("To confirm it, open this link:"),
        url="verify_url",
        label=t("Confirm email address"),
        note=t(
            "The link is valid for {{ expires_in }}. If you did not sign up, you can ignore "
            "this email."
        ),
    )


def _recovery() -> Source:
    return _linked(
        subject=t("Reset your {{ tenant_name }} password"),
        heading=t("Reset your password"),
        intro=t("Someone asked to reset the password of your {{ tenant_name }} account."),
        lead=t("To choose a new password, open this link:"),
        url="reset_url",
        label=t("Choose a new password"),
        note=t(
            "The link is valid for {{ expires_in }} and works once. If you did not ask for "
            "this, you can ignore this email: your password stays as it is."
        ),
    )


def _magic_link() -> Source:
    return _linked(
        subject=t("Your sign-in link for {{ tenant_name }}"),
        heading=t("Sign in to {{ tenant_name }}"),
        intro=t("Use this link to sign in. No password needed."),
        lead=t("Open it here:"),
        url="login_url",
        label=t("Sign in"),
        note=t(
            "The link is valid for {{ expires_in }} and works once. If you did not ask to "
            "sign in, you can ignore this email."
        ),
    )


def _email_change() -> Source:
    return _linked(
        subject=t("Confirm your new email address for {{ tenant_name }}"),
        heading=t("Confirm your new email address"),
        intro=t(
            "Someone asked to change the email address of a {{ tenant_name }} account to "
            "{{ new_email }}."
        ),
        lead=t("To confirm the change, open this link:"),
        url="confirm_url",
        label=t("Confirm the new address"),
        note=t(
            "The link is valid for {{ expires_in }}. Until you confirm, the account keeps its "
            "current address. If you did not ask for this, you can ignore this email."
        ),
    )


def _otp() -> Source:
    intro = t("Enter this code to sign in to {{ tenant_name }}:")
    expiry = t(
        "It expires in {{ expires_in }}. Never share this code: {{ tenant_name }} will never "
        "ask you for it."
    )
    warning = t("If you did not try to sign in, someone may know your password: change it.")
    return Source(
        subject=t("{{ code }} is your {{ tenant_name }} sign-in code"),
        text="\n\n".join([intro, "{{ code }}", expiry, warning]),
        html="\n".join(
            [
                f"<h1>{t('Your sign-in code')}</h1>",
                f"<p>{intro}</p>",
                '<p class="code">{{ code }}</p>',
                f'<p class="note">{expiry} {warning}</p>',
            ]
        ),
        footer=_footer(),
    )


def _invitation() -> Source:
    invited = (
        "{% if inviter %}"
        + t("{{ inviter }} invited you to join {{ tenant_name }}.")
        + "{% else %}"
        + t("You have been invited to join {{ tenant_name }}.")
        + "{% endif %}"
    )
    role = "{% if role %} " + t("Your role: {{ role }}.") + "{% endif %}"
    lead = t("To accept and set your password, open this link:")
    note = t("The invitation is valid until {{ expires_at }}.")
    return Source(
        subject="{% if inviter %}"
        + t("{{ inviter }} invited you to {{ tenant_name }}")
        + "{% else %}"
        + t("You are invited to {{ tenant_name }}")
        + "{% endif %}",
        text="\n\n".join(
            [t("Hello,"), f"{invited}{role} {lead}", "{{ accept_url }}", note, "{{ tenant_name }}"]
        ),
        html="\n".join(
            [
                f"<h1>{t('Join {{ tenant_name }}')}</h1>",
                f"<p>{invited}{role}</p>",
                _button("accept_url", t("Accept the invitation")),
                f'<p class="note">{note}</p>',
            ]
        ),
        footer=t(
            "This invitation was sent by {{ tenant_name }}. If you were not expecting it, you "
            "can ignore it."
        ),
    )


def _notification() -> Source:
    action_label = t("Open")
    footer = t("You receive this notification as an administrator of {{ tenant_name }}.")
    return Source(
        subject="[{{ tenant_name }}] {{ title }}",
        text="{{ title }}\n\n{{ message }}{% if action_url %}\n\n{{ action_url }}{% endif %}"
        f"\n\n-- \n{footer}",
        html="\n".join(
            [
                "<h1>{{ title }}</h1>",
                "<p>{{ message | newline_to_br }}</p>",
                "{% if action_url %}{{ action_url | button: action_label, "
                f'"{action_label}" }}}}{{% endif %}}',
            ]
        ),
        footer=footer,
    )


BUILDERS: dict[str, Callable[[], Source]] = {
    "verification": _verification,
    "recovery": _recovery,
    "otp": _otp,
    "magic_link": _magic_link,
    "invitation": _invitation,
    "notification": _notification,
    "email_change": _email_change,
}


def builtin_source(kind: str) -> Source:
    """The built-in Liquid sources of ``kind`` in the active language."""
    return BUILDERS[kind]()
