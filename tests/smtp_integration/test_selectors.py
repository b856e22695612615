"""The selectors: the SMTP policy the platform's settings make."""

import ipaddress

from smtp_integration.selectors import smtp_policy


def test_policy_from_settings(settings):
    settings.SMTP_ALLOWED_PORTS = frozenset({587, 2525})
    settings.SMTP_ALLOWED_PRIVATE_NETWORKS = ["10.1.0.0/16", "fd00::/8"]
    settings.SMTP_ALLOW_PLAINTEXT = True
    settings.SMTP_CA_FILE = "/etc/ssl/private-ca.pem"
    policy = smtp_policy()
    assert policy.allowed_ports == {587, 2525}
    assert policy.allowed_networks == (
        ipaddress.ip_network("10.1.0.0/16"),
        ipaddress.ip_network("fd00::/8"),
    )
    assert policy.allow_plaintext is True
    assert policy.ca_file == "/etc/ssl/private-ca.pem"
