"""Signing in: one attempt counted before the password is checked, and failures audited.

Each attempt takes a slot from the address's and the network's counters atomically (Redis
INCR) before the password is looked at, so concurrent guesses cannot all slip under the limit;
a right password gives its slots back.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import authenticate
from django.http import HttpRequest

from accounts.addresses import email_canonical
from audit.models import AuditAction
from audit.services import audit_record
from cymmetri.throttle import RateLimited, Throttle, key_part, network_key, throttles_take

_SIGN_IN_PAUSED = (
    "Too many failed sign-ins for this address or from your network. "
    "Try again in {wait}, or reset your password."
)
# Failed sign-ins allowed per address and per network (IPv4 address, IPv6 /64) in a window.
SIGN_IN_BY_ADDRESS = Throttle(
    "throttle:sign-in:address", 10, timedelta(minutes=15), _SIGN_IN_PAUSED
)
SIGN_IN_BY_NETWORK = Throttle(
    "throttle:sign-in:network", 50, timedelta(minutes=15), _SIGN_IN_PAUSED
)


class SignInThrottled(Exception):
    """Too many failures for the address or the network; the message says how long to wait."""


def _slots_take(*, request: HttpRequest | None, email: str) -> list[tuple[Throttle, str]]:
    """Count this attempt under the address and the network; SignInThrottled if either is
    spent (the slots taken stay counted: a refused attempt is an attempt)."""
    slots = [(SIGN_IN_BY_ADDRESS, key_part(email))]
    # REMOTE_ADDR only: X-Forwarded-For is the client's word unless a proxy we run set it.
    ip = request.META.get("REMOTE_ADDR") if request is not None else None
    if ip:
        slots.append((SIGN_IN_BY_NETWORK, network_key(ip)))
    try:
        throttles_take(slots)
    except RateLimited as refusal:
        _throttled_audit(request=request, email=email, refusal=refusal)
        raise SignInThrottled(str(refusal)) from None
    return slots


def _throttled_audit(*, request: HttpRequest | None, email: str, refusal: RateLimited) -> None:
    # Once per pause, not per refused request: a flood of refusals must not flood the log.
    scopes = [
        "address" if throttle is SIGN_IN_BY_ADDRESS else "network"
        for throttle, one in refusal.refusals
        if one.first
    ]
    if scopes:
        audit_record(
            AuditAction.SIGN_IN_THROTTLED,
            request=request,
            recipient=email[:254],
            metadata={"scope": ", ".join(scopes)},
        )


def sign_in_authenticate(*, request: HttpRequest | None, email: str, password: str):
    """The active user ``email`` and ``password`` sign in as, or None (audited as a failure).

    Raises SignInThrottled before the password is checked once the address or the network
    has failed too often.
    """
    email = email_canonical(email)
    slots = _slots_take(request=request, email=email)
    user = authenticate(request, username=email, password=password)
    if user is None:
        audit_record(
            AuditAction.SIGN_IN_FAILED,
            request=request,
            recipient=email[:254],
            metadata={"reason": "wrong email or password"},
        )
        return None
    for throttle, subject in slots:
        throttle.give_back(subject)
    return user
