"""Fixtures for SMTP tests: real aiosmtpd servers on loopback and a policy that may reach them."""

import ipaddress
from email.message import EmailMessage

import pytest

from smtp_integration.transport import SmtpPolicy, SmtpServerConfig
from tests.smtp_servers import (
    SMTP_PASSWORD,
    SMTP_USERNAME,
    SilentServer,
    certificates,
)

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


@pytest.fixture(scope="session")
def smtp_certs():
    """The test CA and server certificates (see tests/smtp_servers.py)."""
    return certificates()


@pytest.fixture
def starttls_server(smtp_server_factory):
    """STARTTLS with a CA-signed certificate; accepts SMTP_USERNAME / SMTP_PASSWORD."""
    return smtp_server_factory("starttls", auth={SMTP_USERNAME: SMTP_PASSWORD})


@pytest.fixture
def tls_server(smtp_server_factory):
    """Implicit TLS with a CA-signed certificate; accepts SMTP_USERNAME / SMTP_PASSWORD."""
    return smtp_server_factory("tls", auth={SMTP_USERNAME: SMTP_PASSWORD})


@pytest.fixture
def silent_server():
    """Accepts TCP, never greets."""
    with SilentServer() as server:
        yield server


@pytest.fixture
def smtp_policy(smtp_certs):
    """``smtp_policy(server, **overrides)``: trusts the test CA, allows loopback and the port."""

    def make(server, **overrides):
        options = {
            "allowed_ports": frozenset({server.port}),
            "allowed_networks": LOOPBACK,
            "ca_file": str(smtp_certs.ca_file),
            "connect_timeout": 2.0,
            "command_timeout": 2.0,
        }
        return SmtpPolicy(**(options | overrides))

    return make


@pytest.fixture
def server_config():
    """``server_config(server, **overrides)``: the SmtpServerConfig for a test server."""

    def make(server, **overrides):
        tls_mode = "none" if server.mode == "plain" else server.mode
        options = {
            "host": "localhost",
            "port": server.port,
            "tls_mode": tls_mode,
            "username": SMTP_USERNAME,
            "password": SMTP_PASSWORD,
            "local_hostname": "client.test",
        }
        return SmtpServerConfig(**(options | overrides))

    return make


@pytest.fixture
def sample_message():
    """A small message from noreply@example.com to admin@example.com."""
    message = EmailMessage()
    message["From"] = "Cymmetri <noreply@example.com>"
    message["To"] = "admin@example.com"
    message["Subject"] = "Test connection"
    message["Message-ID"] = "<test-1@example.com>"
    message.set_content("Hello from the SMTP tests.\n")
    return message
