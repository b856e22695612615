"""SASL XOAUTH2 and OAUTHBEARER (RFC 7628) as the server reads them."""

import base64

from smtp_integration.transport.auth import (
    choose_oauth_mechanism,
    oauth_initial_response,
    token_forms,
)


def decoded(mechanism: str) -> str:
    response = oauth_initial_response(mechanism, "noreply@acme.test", "tok.en-1", "smtp.test", 587)
    return base64.b64decode(response).decode()


def test_xoauth2_is_the_user_and_the_bearer_token_separated_by_ctrl_a():
    assert decoded("XOAUTH2") == "user=noreply@acme.test\x01auth=Bearer tok.en-1\x01\x01"


def test_oauthbearer_carries_a_gs2_header_host_and_port():
    assert decoded("OAUTHBEARER") == (
        "n,a=noreply@acme.test,\x01host=smtp.test\x01port=587\x01auth=Bearer tok.en-1\x01\x01"
    )


def test_xoauth2_is_preferred_and_oauthbearer_used_where_it_is_the_only_one():
    assert choose_oauth_mechanism(["PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"]) == "XOAUTH2"
    assert choose_oauth_mechanism(["OAUTHBEARER"]) == "OAUTHBEARER"
    assert choose_oauth_mechanism(["PLAIN", "LOGIN"]) is None


def test_every_form_of_the_token_a_server_could_echo_is_masked():
    forms = token_forms("noreply@acme.test", "tok.en-1", "smtp.test", 587)
    assert "tok.en-1" in forms
    assert (
        oauth_initial_response("XOAUTH2", "noreply@acme.test", "tok.en-1", "smtp.test", 587)
        in forms
    )
