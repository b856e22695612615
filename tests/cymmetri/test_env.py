"""The settings helpers: bad values stop start-up with a message naming the variable."""

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured

from cymmetri import env

KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()


@pytest.fixture
def environ(monkeypatch):
    def set_(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_


def test_missing_secret_is_an_error_naming_it(monkeypatch):
    monkeypatch.delenv("SOME_SECRET", raising=False)
    with pytest.raises(ImproperlyConfigured, match="SOME_SECRET is not set"):
        env.env_secret("SOME_SECRET")


def test_secret_from_a_file(environ, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("s3cret\n")
    environ(SOME_SECRET_FILE=str(secret_file))
    assert env.env_secret("SOME_SECRET") == "s3cret"


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("0", False), ("On", True)])
def test_booleans(environ, raw, expected):
    environ(FLAG=raw)
    assert env.env_bool("FLAG") is expected


def test_a_malformed_boolean_is_not_guessed(environ):
    environ(FLAG="maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG='maybe' is not a boolean"):
        env.env_bool("FLAG", False)


def test_ports_and_networks_are_validated(environ):
    environ(PORTS="25, 587", NETS="10.1.0.0/16,fd00::/8", BAD_PORTS="25,70000", BAD_NETS="10.1/x")
    assert env.env_ports("PORTS", "") == {25, 587}
    assert env.env_networks("NETS") == ["10.1.0.0/16", "fd00::/8"]
    with pytest.raises(ImproperlyConfigured, match="70000"):
        env.env_ports("BAD_PORTS", "")
    with pytest.raises(ImproperlyConfigured, match="not a network"):
        env.env_networks("BAD_NETS")


def test_rates(environ):
    environ(RATE="300/hour", TENS="5/10 seconds", BAD_RATE="300 per hour", NONE="5/0 seconds")
    assert env.env_rate("RATE", "1/second") == (300, 3600)
    assert env.env_rate("TENS", "1/second") == (5, 10)
    for bad in ("BAD_RATE", "NONE"):
        with pytest.raises(ImproperlyConfigured, match="like 300/hour"):
            env.env_rate(bad, "1/second")


def test_nameservers(environ):
    environ(NS="127.0.0.1:5353,[::1]:53,9.9.9.9", BAD_NS="dns.example:53")
    assert env.env_hostports("NS") == ["127.0.0.1:5353", "[::1]:53", "9.9.9.9"]
    with pytest.raises(ImproperlyConfigured, match="not ip"):
        env.env_hostports("BAD_NS")


def test_encryption_keys(environ):
    environ(KEYS=f"{KEY},{KEY}", SHORT_KEYS=f"{KEY},abc")
    assert env.env_aead_keys("KEYS") == [bytes(range(32))] * 2
    with pytest.raises(ImproperlyConfigured, match="key 2 is not 32 bytes"):
        env.env_aead_keys("SHORT_KEYS")


def test_database_url(environ):
    environ(
        DB="postgres://app:p%40ss@db.internal:6543/cymmetri?sslmode=require", BAD_DB="mysql://x/y"
    )
    parsed = env.env_database("DB")
    assert (parsed["USER"], parsed["PASSWORD"], parsed["HOST"], parsed["PORT"], parsed["NAME"]) == (
        "app",
        "p@ss",
        "db.internal",
        "6543",
        "cymmetri",
    )
    assert parsed["OPTIONS"] == {"sslmode": "require"}
    with pytest.raises(ImproperlyConfigured, match="postgres://"):
        env.env_database("BAD_DB")


def test_dotenv_does_not_override_the_real_environment(environ, tmp_path, monkeypatch):
    monkeypatch.delenv("FROM_FILE", raising=False)
    environ(ALREADY_SET="real")
    dotenv = tmp_path / ".env"
    dotenv.write_text("# comment\nFROM_FILE='from file'\nALREADY_SET=file\n")
    env.load_dotenv(dotenv)
    import os

    assert os.environ["FROM_FILE"] == "from file"
    assert os.environ["ALREADY_SET"] == "real"
    monkeypatch.delenv("FROM_FILE")


def test_an_empty_value_in_dotenv_stays_out_of_the_environment(tmp_path, monkeypatch):
    """prometheus_client reads PROMETHEUS_MULTIPROC_DIR itself: set but empty, every process
    would write its metric files into the working directory."""
    import os

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    dotenv = tmp_path / ".env"
    dotenv.write_text("PROMETHEUS_MULTIPROC_DIR=\n")
    env.load_dotenv(dotenv)

    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ


def test_a_choice_names_the_values_it_accepts(environ, monkeypatch):
    environ(TLS=" starttls")
    with pytest.raises(ImproperlyConfigured, match="TLS must be one of starttls, tls, none"):
        env.env_choice("TLS", ["starttls", "tls", "none"])
    environ(TLS="tls")
    assert env.env_choice("TLS", ["starttls", "tls", "none"]) == "tls"
    monkeypatch.delenv("TLS")
    assert env.env_choice("TLS", ["starttls", "tls", "none"], "starttls") == "starttls"
