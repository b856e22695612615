"""Checks on what callers pass to send_email(): a clear error naming what is wrong."""

from __future__ import annotations

import ipaddress

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from cymmetri.validators import CONTROL_CHARACTERS as _CONTROL
from email_templates.locales import UnknownLocale, locale_match
from mailer.exceptions import InvalidContext, InvalidLocale, InvalidRecipient, UnknownKind
from mailer.kinds import KINDS, Kind

_URL = URLValidator(schemes=["http", "https"])
_MAX_VALUE = 2000


def kind_get(name: str) -> Kind:
    try:
        return KINDS[name]
    except (KeyError, TypeError):
        known = ", ".join(KINDS)
        raise UnknownKind(f"Unknown email kind {name!r}; use one of: {known}.") from None


def _is_ip_domain(domain: str) -> bool:
    """``[10.0.0.5]``, ``[2001:db8::1]`` or a bare address: no domain name, so a way to make
    the relay connect wherever the caller likes."""
    if domain.startswith("["):
        return True
    try:
        ipaddress.ip_address(domain)
    except ValueError:
        return False
    return True


def validate_recipient(address: str) -> None:
    """A field error for an address the mailer would not send to (forms use this too)."""
    domain = address.rpartition("@")[2]
    if _is_ip_domain(domain):
        raise ValidationError(
            f"Email is sent to domain names only, not to an IP address like {domain}: use "
            "the address at the recipient's domain.",
            code="ip_literal",
        )


def recipient_clean(address: str) -> str:
    if not isinstance(address, str) or _CONTROL.search(address):
        raise InvalidRecipient(f"Recipient {address!r} is not an email address.")
    address = address.strip()
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidRecipient(f"Recipient {address!r} is not a valid email address.") from None
    try:
        validate_recipient(address)
    except ValidationError as refusal:
        raise InvalidRecipient(f"Recipient {address!r}: {refusal.messages[0]}") from None
    return address


def context_clean(kind: Kind, context: dict) -> dict:
    """The context with every required key present; URLs http(s) only, no control characters."""
    if not isinstance(context, dict):
        raise InvalidContext(f"The context of a {kind.name} email must be a dict.")
    missing = [key for key in kind.required if not str(context.get(key, "")).strip()]
    if missing:
        raise InvalidContext(
            f"A {kind.name} email needs {', '.join(kind.required)} in its context; "
            f"missing: {', '.join(missing)}."
        )
    cleaned = {}
    for key, value in context.items():
        if not isinstance(value, str | int):
            raise InvalidContext(f"Context value {key!r} must be text or a number.")
        text = str(value)
        if len(text) > _MAX_VALUE:
            raise InvalidContext(f"Context value {key!r} is longer than {_MAX_VALUE} characters.")
        if key.endswith("_url"):
            try:
                _URL(text)
            except ValidationError:
                raise InvalidContext(f"Context value {key!r} must be an http(s) URL.") from None
        if key != "message" and _CONTROL.search(text):
            raise InvalidContext(f"Context value {key!r} contains control characters.")
        cleaned[key] = value
    if "new_email" in cleaned:
        recipient_clean(str(cleaned["new_email"]))
    return cleaned


def locale_clean(locale: str | None) -> str | None:
    """The supported language for ``locale``, or None (the tenant's default then)."""
    try:
        return locale_match(locale)
    except UnknownLocale as error:
        raise InvalidLocale(str(error)) from None
