"""Helpers for the account-flow tests: users, the outbox, links in emails."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from accounts.roles import TENANT_ADMINS_GROUP
from mailer.models import OutboundEmail
from tests.support import TEST_PASSWORD, wait_for

_URL = re.compile(r"https?://\S+")
# What users choose when a flow asks them for a new password.
NEW_PASSWORD = "a-brand-new-passphrase-7"


def make_user(email: str, *, password: str | None = TEST_PASSWORD, admin: bool = False):
    """A user of the current tenant; without a password, one who was invited."""
    user = get_user_model().objects.create_user(email, password)
    if admin:
        user.groups.add(Group.objects.get(name=TENANT_ADMINS_GROUP))
    return user


def only_email(**filters) -> OutboundEmail:
    [email] = OutboundEmail.objects.filter(**filters)
    return email


def link_path(text: str, prefix: str) -> str:
    """The path of the one link in ``text`` that starts with ``prefix`` (tenant URL, no host)."""
    paths = [urlsplit(url).path for url in _URL.findall(text)]
    [path] = {path for path in paths if path.startswith(prefix)}
    return path


def sign_in(client: Client, email: str, password: str = TEST_PASSWORD, **extra):
    return client.post("/accounts/login/", {"username": email, "password": password}, **extra)


def set_password(client: Client, path: str, password: str):
    """Open a set-password link and choose ``password``; the final response."""
    opened = client.get(path)
    assert opened.status_code == 302, "the link was refused"
    return client.post(
        opened.headers["Location"], {"new_password1": password, "new_password2": password}
    )


def received(server, to: str, *, timeout: float = 15.0):
    """The one message ``server`` received for ``to``, once the worker has sent it."""
    messages = wait_for(
        lambda: [m for m in server.messages if m.rcpt_tos == [to]],
        timeout=timeout,
        message=f"no email reached {to}",
        describe=lambda: list(
            OutboundEmail.objects.values("kind", "to_address", "status", "waiting_for", "attempts")
        ),
    )
    [message] = messages
    return message.message


def body_text(message) -> str:
    return message.get_body(("plain",)).get_content()
