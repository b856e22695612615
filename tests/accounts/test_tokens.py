"""Link tokens: each lives as long as its email says, and no longer (no database needed)."""

import time
from datetime import datetime, timedelta

import pytest
from django.core import signing

from accounts.models import User
from accounts.tokens import (
    EmailChangeLinkInvalid,
    EmailChangeTokenGenerator,
    InvitationTokenGenerator,
    RecoveryTokenGenerator,
    invitation_token_generator,
    recovery_token_generator,
)


def user(pk: int = 7, email: str = "ada@example.com") -> User:
    return User(pk=pk, email=email, password="!unusable-for-now")


def made_ago(generator_class, age: timedelta):
    """A generator whose clock stands ``age`` in the past, as when the link was emailed."""
    generator = generator_class()
    generator._now = lambda: datetime.now() - age
    return generator


@pytest.mark.parametrize(
    ("age", "valid"),
    [
        (timedelta(days=3, hours=1), True),  # past PASSWORD_RESET_TIMEOUT (3 days)
        (timedelta(days=6, hours=23), True),
        (timedelta(days=7, minutes=1), False),
    ],
)
def test_an_invitation_lives_seven_days(age, valid):
    token = made_ago(InvitationTokenGenerator, age).make_token(user())
    assert invitation_token_generator.check_token(user(), token) is valid


@pytest.mark.parametrize(
    ("age", "valid"), [(timedelta(minutes=59), True), (timedelta(minutes=61), False)]
)
def test_a_recovery_link_lives_one_hour_as_its_email_says(age, valid):
    token = made_ago(RecoveryTokenGenerator, age).make_token(user())
    assert recovery_token_generator.check_token(user(), token) is valid


def test_tokens_of_one_flow_do_not_open_another():
    invitation = invitation_token_generator.make_token(user())
    assert not recovery_token_generator.check_token(user(), invitation)
    assert not invitation_token_generator.check_token(user(pk=8), invitation)


def test_a_new_password_retires_the_link():
    invitee = user()
    token = invitation_token_generator.make_token(invitee)
    invitee.set_unusable_password()
    assert not invitation_token_generator.check_token(invitee, token)


@pytest.mark.parametrize("token", ["", "nonsense", "zzzzzzzzzzzzzzzz-abc", "1-2-3"])
def test_malformed_tokens_are_refused(token):
    assert not invitation_token_generator.check_token(user(), token)


def test_an_email_change_claim_binds_user_old_and_new_address():
    claim = EmailChangeTokenGenerator().check_token(
        EmailChangeTokenGenerator().make_token(user=user(), new_email="new@example.com")
    )
    assert (claim.user_id, claim.new_email) == (7, "new@example.com")
    assert claim.matches_old("ADA@example.com")
    assert not claim.matches_old("someone@example.com")


def test_an_email_change_link_expires_after_24_hours():
    generator = EmailChangeTokenGenerator()
    generator._now = lambda: time.time() - 24 * 3600 - 60
    token = generator.make_token(user=user(), new_email="new@example.com")
    with pytest.raises(EmailChangeLinkInvalid) as refused:
        EmailChangeTokenGenerator().check_token(token)
    assert refused.value.expired


def test_an_altered_or_foreign_email_change_link_is_refused():
    token = EmailChangeTokenGenerator().make_token(user=user(), new_email="new@example.com")
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    foreign = signing.dumps({"u": 7, "n": "new@example.com", "o": "x"})
    for bad in (altered, foreign, "nonsense"):
        with pytest.raises(EmailChangeLinkInvalid) as refused:
            EmailChangeTokenGenerator().check_token(bad)
        assert not refused.value.expired
