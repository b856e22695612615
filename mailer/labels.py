"""The mailer's codes in words, wherever a person sees them: a label, and one line on what it
means for them. Waiting and failure reasons are the mailer's own (WaitReason, FailureReason) or
the transport's (Reason) for SMTP errors."""

from __future__ import annotations

from mailer.models import FailureReason, WaitReason
from smtp_integration.transport import Reason

_WAIT_HELP = {
    WaitReason.RATE_LIMITED: "Your tenant has used its sending rate for now; it goes out as "
    "soon as the limit allows.",
    WaitReason.SMTP_PAUSED: "Emails wait while your SMTP server is paused; they go out once "
    "the settings on the Configuration tab work again.",
    WaitReason.RATE_LIMITER_UNAVAILABLE: "Retried automatically within seconds.",
    WaitReason.BATCH_TIME: "Goes out with the next batch, within seconds.",
    WaitReason.LEASE_EXPIRED: "A worker stopped while sending it; another one sends it.",
    WaitReason.BROKER_UNAVAILABLE: "Retried automatically once the task queue answers.",
}
# Transient SMTP errors an email waits after: it is retried, with growing pauses.
_RETRY_HELP = "Your SMTP server answered with a temporary error; it is retried automatically."

_FAILURE_HELP = {
    FailureReason.EXPIRED: "It could not be sent before its link or code stopped working, so "
    "it was not sent late.",
    FailureReason.INTERNAL_ERROR: "An error on the platform; the operators have it in their logs.",
    Reason.RECIPIENT_REJECTED: "The recipient's mail server does not accept this address: "
    "check it for typos.",
    Reason.SENDER_REJECTED: "Your provider refused the From address: verify it, or its domain, "
    "with the provider.",
    Reason.RELAY_DENIED: "Your server would not pass the email on: check the username and that "
    "it sends for the From address.",
    Reason.MESSAGE_REJECTED: "Your provider refused the message itself: see its reply, and "
    "your account's standing with the provider.",
    Reason.AUTH_FAILED: "Your SMTP server refused the username or password: update them on the "
    "Configuration tab.",
    Reason.SMTPUTF8_UNSUPPORTED: "Your server does not take international (non-ASCII) addresses.",
    Reason.SECRET_UNREADABLE: "The stored password cannot be read: enter it again on the "
    "Configuration tab.",
}


def _label(code: str, *choices) -> str:
    for choice in choices:
        if code in choice.values:
            return choice(code).label
    return code.replace("_", " ").capitalize()


def wait_reason_label(code: str) -> str:
    """ "Waiting for a sending slot" for ``rate_limited``; an SMTP error's name otherwise."""
    return _label(code, WaitReason, Reason)


def wait_reason_help(code: str) -> str:
    return _WAIT_HELP.get(code, "" if code in WaitReason.values else _RETRY_HELP)


def failure_reason_label(code: str) -> str:
    """ "Recipient refused" for ``recipient_rejected``, "Expired…" for ``expired``."""
    return _label(code, FailureReason, Reason)


def failure_reason_help(code: str) -> str:
    return _FAILURE_HELP.get(code, "")
