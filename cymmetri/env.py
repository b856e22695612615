"""Typed access to the environment: every setting comes through here.

A value that is missing where it is required, or malformed, stops start-up with
an ``ImproperlyConfigured`` naming the variable and what is expected. Secrets
never fall back to a default. ``NAME_FILE`` may point to a file holding the
secret (Docker and Kubernetes secrets).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_MISSING = object()


def load_dotenv(path: Path) -> None:
    """Load ``KEY=value`` lines from ``path``; the real environment wins."""
    if not path.is_file():
        return
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ImproperlyConfigured(f"{path}:{number}: expected KEY=value, got {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        # An empty value means "not set" here, and stays out of the environment: libraries
        # read some variables themselves, and prometheus_client takes an empty
        # PROMETHEUS_MULTIPROC_DIR for "write metric files into the working directory".
        if value:
            os.environ.setdefault(key.strip(), value)


def _raw(name: str, default: object) -> object:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is _MISSING:
            raise ImproperlyConfigured(f"{name} is not set; see .env.example for what it holds.")
        return default
    return value


def env_str(name: str, default: object = _MISSING) -> str:
    """A string; required unless a default is given."""
    return _raw(name, default)  # type: ignore[return-value]


def env_secret(name: str) -> str:
    """A required secret from ``NAME`` or from the file named by ``NAME_FILE``."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            value = Path(file_name).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name} cannot be read: {exc}") from exc
        if not value:
            raise ImproperlyConfigured(f"{name}_FILE={file_name} is empty.")
        return value
    return env_str(name)


def env_choice(name: str, choices: list[str], default: object = _MISSING) -> str:
    """One of ``choices``; required unless a default is given."""
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}; got {value!r}.")
    return value


def env_bool(name: str, default: bool | object = _MISSING) -> bool:
    """``true/false``, ``1/0``, ``yes/no``, ``on/off``."""
    value = _raw(name, default)
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false).")


def env_int(
    name: str,
    default: int | object = _MISSING,
    *,
    min_value: int | None = None,
    max_value: int | None = None,
) -> int:
    """An integer, optionally bounded."""
    value = _raw(name, default)
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if min_value is not None and number < min_value:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum {min_value}.")
    if max_value is not None and number > max_value:
        raise ImproperlyConfigured(f"{name}={number} is above the maximum {max_value}.")
    return number


def env_list(name: str, default: str | object = _MISSING) -> list[str]:
    """A comma-separated list; blanks dropped."""
    value = _raw(name, default)
    if isinstance(value, list):
        return value
    return [item.strip() for item in str(value).split(",") if item.strip()]


def env_ports(name: str, default: str) -> frozenset[int]:
    """A comma-separated list of TCP ports."""
    ports = set()
    for item in env_list(name, default):
        if not item.isdigit() or not 0 < int(item) < 65536:
            raise ImproperlyConfigured(f"{name}: {item!r} is not a TCP port (1-65535).")
        ports.add(int(item))
    return frozenset(ports)


def env_networks(name: str, default: str = "") -> list[str]:
    """A comma-separated list of CIDR networks, validated and normalised."""
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not a network (e.g. 10.1.0.0/16)."
            ) from None
    return networks


_RATE = re.compile(r"(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?")


def env_rate(name: str, default: str) -> tuple[int, int]:
    """``N/second|minute|hour|day`` (or ``N/10 seconds``) as (count, seconds)."""
    value = str(_raw(name, default)).strip().lower()
    periods = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
    match = _RATE.fullmatch(value)
    if match is None or int(match[1]) < 1 or match[2] == "0":
        raise ImproperlyConfigured(
            f"{name}={value!r}: expected a rate like 300/hour or 5/10 seconds."
        )
    return int(match[1]), int(match[2] or 1) * periods[match[3]]


def env_hostports(name: str, default: str = "") -> list[str]:
    """A comma-separated list of ``ip[:port]`` (IPv6 as ``[::1]:53``)."""
    items = env_list(name, default)
    for item in items:
        host, port = item, "53"
        if item.startswith("["):
            host, _, rest = item[1:].partition("]")
            port = rest.removeprefix(":") or "53"
        elif item.count(":") == 1:
            host, port = item.split(":")
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not ip[:port].") from None
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ImproperlyConfigured(f"{name}: {item!r} has an invalid port.")
    return items


def env_database(name: str = "DATABASE_URL") -> dict:
    """A ``postgres://user:pass@host:port/db?opt=v`` URL as a Django DATABASES entry."""
    url = env_str(name)
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"} or not parts.path.strip("/"):
        raise ImproperlyConfigured(f"{name} must look like postgres://user@host:5432/dbname.")
    return {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "OPTIONS": dict(parse_qsl(parts.query)),
        "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60, min_value=0),
        "CONN_HEALTH_CHECKS": True,
    }


def env_aead_keys(name: str) -> list[bytes]:
    """A required comma-separated list of urlsafe-base64 256-bit keys; the first encrypts."""
    keys = []
    items = [item.strip() for item in env_secret(name).split(",") if item.strip()]
    for position, item in enumerate(items, start=1):
        try:
            key = base64.urlsafe_b64decode(item.encode() + b"=" * (-len(item) % 4))
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise ImproperlyConfigured(
                f"{name}: key {position} is not 32 bytes of urlsafe base64; "
                'generate one with: python -c "import base64,os;'
                'print(base64.urlsafe_b64encode(os.urandom(32)).decode())"'
            )
        keys.append(key)
    return keys
