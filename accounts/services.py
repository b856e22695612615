"""Writes for accounts: password recovery, inviting tenant admins, changing one's address."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.addresses import email_canonical
from accounts.roles import TENANT_ADMINS_GROUP
from accounts.selectors import tenant_admins
from accounts.tokens import (
    EmailChangeClaim,
    EmailChangeLinkInvalid,
    email_change_token_generator,
    invitation_token_generator,
    recovery_token_generator,
)
from audit.models import AuditAction
from audit.services import audit_record
from cymmetri.throttle import Throttle, key_part, network_key, throttles_take
from mailer import send_email
from tenants.selectors import tenant_current
from tenants.services import tenant_url

# Per address (known or not, so the limit tells nothing) and per client IP, per tenant.
RESET_LIMIT_PER_ADDRESS = 3
RESET_LIMIT_PER_IP = 10
RESET_WINDOW = timedelta(minutes=15)
_RESET_REFUSED = (
    "Too many password reset requests for this address or from your network. Check your "
    "inbox (and spam folder) for the last link, or try again in {wait}."
)
RESET_BY_ADDRESS = Throttle(
    "throttle:reset:address", RESET_LIMIT_PER_ADDRESS, RESET_WINDOW, _RESET_REFUSED
)
RESET_BY_NETWORK = Throttle(
    "throttle:reset:network", RESET_LIMIT_PER_IP, RESET_WINDOW, _RESET_REFUSED
)
# Both outcomes take at least this long, far longer than looking up and queueing an email,
# so the response time does not tell whether an address has an account.
RESET_MIN_SECONDS = 0.25
# Wrong current passwords and confirmation emails, per signed-in user.
EMAIL_CHANGE_LIMIT = 5
EMAIL_CHANGE_THROTTLE = Throttle(
    "throttle:email-change",
    EMAIL_CHANGE_LIMIT,
    timedelta(hours=1),
    "Too many attempts to change your address. Try again in {wait}.",
)


def _link(name: str, **kwargs) -> str:
    """An absolute link on the tenant's primary domain, never on the Host the request named."""
    path = reverse(f"accounts:{name}", kwargs=kwargs, urlconf=settings.ROOT_URLCONF)
    return tenant_url(tenant_current(), path)


def _uid(user) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def _address_taken(email: str, *, exclude=None) -> bool:
    users = get_user_model().objects.filter(email=email_canonical(email))
    return users.exclude(pk=exclude.pk).exists() if exclude else users.exists()


@contextmanager
def _taking_at_least(seconds: float):
    started = time.monotonic()
    yield
    time.sleep(max(0.0, seconds - (time.monotonic() - started)))


# --- password recovery ---------------------------------------------------------------------


def _reset_allow(*, email: str, ip: str | None) -> None:
    """Count the request for the address and the network; RateLimited if either is spent."""
    counted = [(RESET_BY_ADDRESS, key_part(email_canonical(email)))]
    if ip:
        counted.append((RESET_BY_NETWORK, network_key(ip)))
    throttles_take(counted)


def password_reset_request(*, email: str, ip: str | None) -> None:
    """Email a recovery link if ``email`` is an active account of this tenant with a password.

    The outcome looks the same, and takes as long, whether or not it is. Raises RateLimited.
    """
    _reset_allow(email=email, ip=ip)
    with _taking_at_least(RESET_MIN_SECONDS):
        user = get_user_model().objects.filter(email=email_canonical(email), is_active=True).first()
        # No usable password: an invitee who has not accepted yet needs the invitation.
        if user is None or not user.has_usable_password():
            return
        token = recovery_token_generator.make_token(user)
        reset_url = _link("recovery_confirm", uidb64=_uid(user), token=token)
        send_email("recovery", to=user.email, context={"reset_url": reset_url})


# --- inviting tenant admins ------------------------------------------------------------------


def _invitation_send(*, user, inviter) -> None:
    token = invitation_token_generator.make_token(user)
    accept_url = _link("invitation_accept", uidb64=_uid(user), token=token)
    send_email(
        "invitation",
        to=user.email,
        context={
            "accept_url": accept_url,
            "inviter": inviter.get_full_name(),
            "role": "Administrator",
        },
    )


@transaction.atomic
def tenant_admin_invite(
    *, inviter, email: str, full_name: str = "", request: HttpRequest | None = None
):
    """Create a tenant admin without a password and email them a link to choose one."""
    User = get_user_model()
    duplicate = ValidationError(
        {"email": "An account with this address already exists in this tenant."}
    )
    if _address_taken(email):
        raise duplicate
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, None, full_name=full_name.strip())
    except IntegrityError:  # invited by someone else a moment ago
        raise duplicate from None
    user.groups.add(Group.objects.get(name=TENANT_ADMINS_GROUP))
    audit_record(
        AuditAction.ADMIN_INVITED,
        request=request,
        actor=inviter,
        target=f"user:{user.pk}",
        recipient=user.email,
        metadata={"group": TENANT_ADMINS_GROUP},
    )
    _invitation_send(user=user, inviter=inviter)
    return user


@transaction.atomic
def tenant_admin_invitation_resend(*, inviter, user, request: HttpRequest | None = None) -> None:
    """Email a pending invitee a fresh link; links sent before stop working."""
    if user.has_usable_password() or not user.is_active:
        raise ValidationError(f"{user.email} has already accepted the invitation.")
    # The token hashes the password field: a new unusable one retires every earlier link.
    user.set_unusable_password()
    user.save(update_fields=["password"])
    audit_record(
        AuditAction.ADMIN_INVITATION_RESENT,
        request=request,
        actor=inviter,
        target=f"user:{user.pk}",
        recipient=user.email,
    )
    _invitation_send(user=user, inviter=inviter)


@transaction.atomic
def tenant_admin_remove(*, actor, user, request: HttpRequest | None = None) -> str:
    """Revoke ``user``'s pending invitation, or deactivate them; "revoked" or "deactivated".

    Never the last active administrator, and never oneself: the tenant must keep someone who
    can manage it.
    """
    if user.pk == actor.pk:
        raise ValidationError("You cannot remove yourself; ask another administrator.")
    # Locked, so two admins removing each other at once cannot leave the tenant with none.
    admins = list(tenant_admins().select_for_update().order_by("pk"))
    if not user.is_active:
        raise ValidationError(f"{user.email} is already deactivated.")
    pending = not user.has_usable_password()
    active = [a for a in admins if a.is_active and a.has_usable_password()]
    if not pending and [a.pk for a in active] == [user.pk]:
        raise ValidationError(f"{user.email} is the last administrator and stays active.")
    user.is_active = False
    # A new unusable password retires every invitation and recovery link sent before.
    user.set_unusable_password()
    user.save(update_fields=["is_active", "password"])
    outcome = "revoked" if pending else "deactivated"
    audit_record(
        AuditAction.ADMIN_INVITATION_REVOKED if pending else AuditAction.ADMIN_DEACTIVATED,
        request=request,
        actor=actor,
        target=f"user:{user.pk}",
        recipient=user.email,
    )
    return outcome


# --- changing one's own address --------------------------------------------------------------


class EmailChangeRefused(Exception):
    """The confirmation link cannot change the address; the message says why and what to do."""


def email_change_request(*, user, new_email: str, password: str) -> str:
    """Email a confirmation link to ``new_email``; the address changes only once it is opened."""
    EMAIL_CHANGE_THROTTLE.take(str(user.pk))
    if not user.check_password(password):
        raise ValidationError({"password": "That is not your current password."})
    new_email = email_canonical(new_email)
    if new_email == user.email.lower():
        raise ValidationError({"new_email": "This is already your address."})
    if _address_taken(new_email, exclude=user):
        raise ValidationError({"new_email": "Another account of this tenant uses this address."})
    token = email_change_token_generator.make_token(user=user, new_email=new_email)
    confirm_url = _link("email_change_confirm", token=token)
    send_email(
        "email_change", to=new_email, context={"confirm_url": confirm_url, "new_email": new_email}
    )
    return new_email


def email_change_check(*, user, token: str) -> EmailChangeClaim:
    """The change ``token`` asks for, if this user may make it now; EmailChangeRefused if not."""
    try:
        claim = email_change_token_generator.check_token(token)
    except EmailChangeLinkInvalid as exc:
        if exc.expired:
            raise EmailChangeRefused(
                "This link has expired: links to confirm an address work for 24 hours. "
                "Ask for a new one on your account page."
            ) from None
        raise EmailChangeRefused(
            "This link is not valid. Copy the whole link from the email, or ask for a new one."
        ) from None
    if claim.user_id != user.pk:
        raise EmailChangeRefused(
            "This link was sent for another account. Sign out, then sign in as the account "
            "whose address you are changing."
        )
    if not claim.matches_old(user.email):
        raise EmailChangeRefused(
            "This link is no longer valid: your address has changed since it was sent."
        )
    if _address_taken(claim.new_email, exclude=user):
        raise EmailChangeRefused(
            f"{claim.new_email} now belongs to another account of this tenant, so your address "
            "stays as it is."
        )
    return claim


@transaction.atomic
def email_change_confirm(*, user, token: str, request: HttpRequest | None = None) -> str:
    """Move ``user`` to the address ``token`` confirms, and tell the old address; the old one."""
    claim = email_change_check(user=user, token=token)
    old_email = user.email
    user.email = claim.new_email
    try:
        with transaction.atomic():
            user.save(update_fields=["email"])
    except IntegrityError:  # taken a moment ago
        user.email = old_email
        raise EmailChangeRefused(
            f"{claim.new_email} now belongs to another account of this tenant."
        ) from None
    audit_record(
        AuditAction.EMAIL_CHANGED,
        request=request,
        actor=user,
        target=f"user:{user.pk}",
        recipient=claim.new_email,
        metadata={"old_email": old_email, "new_email": claim.new_email},
    )
    # Someone who took over the account should not be able to move it away silently.
    send_email(
        "notification",
        to=old_email,
        context={
            "title": "Your email address was changed",
            "message": (
                f"The email address of your account changed from {old_email} to "
                f"{claim.new_email}. From now on you sign in with {claim.new_email}.\n"
                "If you did not make this change, contact an administrator of your "
                "organisation at once."
            ),
        },
    )
    return old_email
