"""The Email SMTP form: validation and normalisation only."""

from __future__ import annotations

import re

from django import forms

from cymmetri.validators import reject_control_characters
from smtp_integration.diagnostics import host_blocked_text
from smtp_integration.models import CONFIG_FIELDS, CREDENTIAL_FIELDS, SmtpConfig
from smtp_integration.selectors import smtp_policy
from smtp_integration.transport import (
    DnsUnavailable,
    HostBlocked,
    HostUnresolvable,
    InvalidHost,
    PortNotAllowed,
    SmtpPolicy,
    TlsMode,
    parse_host,
    resolve_and_check,
)

_MASK = re.compile(r"^[*•●·xX]{4,}$")
HOST_RESOLVE_TIMEOUT = 5.0


class SmtpConfigForm(forms.Form):
    host = forms.CharField(
        max_length=253,
        widget=forms.TextInput(attrs={"placeholder": "smtp.example.com", "spellcheck": "false"}),
        help_text="Your provider's SMTP server name, e.g. smtp.sendgrid.net.",
    )
    port = forms.IntegerField(
        min_value=1,
        max_value=65535,
        initial=587,
        help_text="587 for STARTTLS, 465 for TLS.",
    )
    tls_mode = forms.ChoiceField(label="TLS mode", choices=TlsMode.choices, initial="starttls")
    username = forms.CharField(
        max_length=254,
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    password = forms.CharField(
        max_length=1024,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
        help_text="Stored encrypted and never shown again.",
    )
    from_address = forms.EmailField(
        label="From address",
        max_length=254,
        widget=forms.EmailInput(attrs={"placeholder": "noreply@yourcompany.com"}),
        help_text="Verified with your provider and authenticated in your DNS.",
    )
    from_name = forms.CharField(
        label="From name",
        max_length=100,
        required=False,
        # Unstripped, so a trailing line break is refused rather than quietly trimmed.
        strip=False,
        widget=forms.TextInput(attrs={"placeholder": "Your company"}),
        help_text="The display name recipients see, e.g. “Cymmetri Auth”.",
    )
    reply_to = forms.EmailField(
        label="Reply-to",
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"placeholder": "support@yourcompany.com"}),
        help_text="Where replies go; leave empty to use the From address.",
    )
    max_per_minute = forms.IntegerField(
        label="Sending limit (emails per minute)",
        required=False,
        min_value=1,
        max_value=100_000,
        help_text="Your provider plan's limit, so emails wait instead of being refused. "
        "Leave empty for no limit.",
    )
    fallback_to_platform = forms.BooleanField(
        label="If my SMTP fails, send sign-in and recovery emails (sign-in codes, magic links, "
        "password resets) through the platform default",
        required=False,
        help_text="They then come from the platform's generic address, so that nobody is "
        "locked out while your SMTP is down. Other emails wait for your SMTP.",
    )

    def __init__(
        self, *args, config: SmtpConfig | None = None, policy: SmtpPolicy | None = None, **kwargs
    ):
        self.config = config
        self.policy = policy or smtp_policy()
        self.addresses: list = []
        if config is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(config, name) for name in CONFIG_FIELDS}
        super().__init__(*args, **kwargs)
        if not self.policy.allow_plaintext:
            self.fields["tls_mode"].choices = [
                choice for choice in TlsMode.choices if choice[0] != TlsMode.NONE
            ]
        allowed = ", ".join(str(p) for p in sorted(self.policy.allowed_ports))
        self.fields["port"].widget.attrs["list"] = "smtp-ports"
        self.fields["port"].help_text += f" Allowed: {allowed}."
        if config is not None and config.has_password:
            self.fields["password"].help_text = (
                "Leave empty to keep the stored password. Changing the host, port, TLS mode "
                "or username requires it again."
            )

    # --- fields --------------------------------------------------------------------------

    def clean_host(self) -> str:
        value = self.cleaned_data["host"].strip()
        if "://" in value or "/" in value:
            raise forms.ValidationError(
                "Enter only the server name, without smtp:// or a path (e.g. smtp.example.com)."
            )
        if re.fullmatch(r"[^:\[\]]+:\d+", value):
            raise forms.ValidationError("Put the port in the Port field, not after the host.")
        try:
            parsed = parse_host(value)
        except InvalidHost:
            raise forms.ValidationError(
                "This is not a valid host name or IP address.", code="invalid_host"
            ) from None
        return str(parsed) if not isinstance(parsed, str) else parsed.lower()

    def clean_port(self) -> int:
        port = self.cleaned_data["port"]
        if port not in self.policy.allowed_ports:
            allowed = ", ".join(str(p) for p in sorted(self.policy.allowed_ports))
            raise forms.ValidationError(
                f"Port {port} is not allowed on this platform; use one of {allowed}.",
                code="port_not_allowed",
            )
        return port

    def clean_tls_mode(self) -> str:
        mode = self.cleaned_data["tls_mode"]
        if mode == TlsMode.NONE and not self.policy.allow_plaintext:
            raise forms.ValidationError("Unencrypted SMTP is not allowed on this platform.")
        return mode

    def clean_username(self) -> str:
        value = self.cleaned_data["username"]
        reject_control_characters(value)
        return value.strip()

    def clean_password(self) -> str:
        value = self.cleaned_data["password"]
        if _MASK.fullmatch(value.strip()):
            raise forms.ValidationError(
                "That looks like the hidden-password mask, not a password. Type the password "
                "itself, or leave the field empty to keep the stored one.",
                code="mask",
            )
        reject_control_characters(value)
        return value

    def clean_from_address(self) -> str:
        value = self.cleaned_data["from_address"]
        reject_control_characters(value)
        return value.lower()

    def clean_from_name(self) -> str:
        value = self.cleaned_data["from_name"]
        reject_control_characters(value)
        return value.strip()

    def clean_reply_to(self) -> str:
        value = self.cleaned_data["reply_to"]
        reject_control_characters(value)
        return value.lower()

    # --- the whole form ------------------------------------------------------------------

    def clean(self) -> dict:
        data = super().clean()
        if {"host", "port"} <= data.keys():
            self._check_network_policy(data["host"], data["port"])
        if (
            self.password_required(data)
            and not data.get("password")
            and "password" not in (self.errors)
        ):
            self.add_error("password", self._password_required_message(data))
        return data

    def _check_network_policy(self, host: str, port: int) -> None:
        try:
            self.addresses = resolve_and_check(
                host, port, self.policy, timeout=HOST_RESOLVE_TIMEOUT
            )
        except HostBlocked as exc:
            self.add_error(
                "host",
                f"{host_blocked_text(exc)}: the platform does not connect there. If this is "
                "your own relay on a private network, ask your operator to allow that network.",
            )
        except HostUnresolvable:
            self.add_error("host", f"{host} does not resolve to any address; check the spelling.")
        except DnsUnavailable:
            self.add_error("host", f"{host} could not be looked up right now; try again shortly.")
        except PortNotAllowed as exc:
            allowed = ", ".join(str(port) for port in exc.allowed)
            self.add_error("port", f"Port {port} is not allowed (allowed: {allowed})")

    def changed_credentials(self, data: dict) -> list[str]:
        """Credential fields that differ from the stored configuration."""
        if self.config is None:
            return list(CREDENTIAL_FIELDS)
        return [name for name in CREDENTIAL_FIELDS if data.get(name) != getattr(self.config, name)]

    def password_required(self, data: dict) -> bool:
        if self.config is None or not self.config.has_password:
            return bool(data.get("username"))
        return bool(self.changed_credentials(data)) and bool(data.get("username"))

    def _password_required_message(self, data: dict) -> str:
        if self.config is None or not self.config.has_password:
            return "Enter the password (or API key) for this username."
        changed = ", ".join(name.replace("_", " ") for name in self.changed_credentials(data))
        return (
            f"You changed the {changed}, so enter the password again: the stored password is "
            "never sent to a different server or account."
        )

    @property
    def port_warning(self) -> str:
        if self.is_bound and self.data.get("port") == "25":
            return "Port 25 is usually blocked by cloud networks and often unencrypted; prefer 587."
        return ""
