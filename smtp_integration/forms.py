"""The Email SMTP form: validation and normalisation only."""

from __future__ import annotations

import json
import re

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django import forms

from cymmetri.crypto import DecryptionError
from cymmetri.validators import reject_control_characters
from smtp_integration.credentials import (
    binding_changes,
    secret_kind,
    secret_label,
    secret_needed,
    stored_secret_applies,
    username_is_secret,
)
from smtp_integration.diagnostics import host_blocked_text, unresolvable_text
from smtp_integration.models import (
    CONFIG_FIELDS,
    OAUTH_FIELDS,
    AuthMethod,
    OAuthProvider,
    SmtpConfig,
)
from smtp_integration.secrets import username_open
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
from smtp_integration.transport.https import https_target

_MASK = re.compile(r"^[*•●·xX]{4,}$")
HOST_RESOLVE_TIMEOUT = 5.0
# A Microsoft Entra directory: its GUID, or one of its domain names.
_TENANT_ID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|(?=.{4,100}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+",
    re.IGNORECASE,
)
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
# What each provider's section asks for (besides the mailbox, in Username).
OAUTH_REQUIRED = {
    OAuthProvider.MICROSOFT: ("oauth_tenant_id", "oauth_client_id"),
    OAuthProvider.GOOGLE: (),
    OAuthProvider.GENERIC: ("oauth_token_url", "oauth_client_id"),
}
# Only what signs a Google token request is kept from a service account's JSON key.
GOOGLE_KEY_FIELDS = ("client_email", "private_key_id", "private_key")
MAX_KEY_FILE = 16 * 1024
# The binding fields as a sentence names them ("You changed the port and username…").
BINDING_NAMES = {
    "auth_method": "sign-in method",
    "host": "host",
    "port": "port",
    "tls_mode": "TLS mode",
    "username": "username",
    "oauth_provider": "provider",
    "oauth_tenant_id": "directory (tenant) ID",
    "oauth_token_url": "token URL",
    "oauth_client_id": "client ID",
    "oauth_client_email": "service account",
    "oauth_key_id": "key",
}


def _unresolvable_message(host: str) -> str:
    return (
        f"{unresolvable_text(host)}: check the spelling. If it is your own relay on a private "
        "network, ask your operator to allow that network."
    )


# Fields never sent back to the browser once typed (a username only where it is a token).
SECRETS = frozenset({"password", "oauth_secret", "oauth_key", "username"})


def _typed_secret(value: str, mask_message: str) -> str:
    """A secret as typed: never a mask of one, never a control character."""
    if _MASK.fullmatch(value.strip()):
        raise forms.ValidationError(mask_message, code="mask")
    reject_control_characters(value)
    return value


class SecretTextarea(forms.Textarea):
    """A textarea for a secret (a private key): what was typed is never rendered again."""

    def format_value(self, value):
        return None


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
    auth_method = forms.ChoiceField(
        label="Sign in with",
        choices=AuthMethod.choices,
        initial=AuthMethod.PASSWORD,
        required=False,  # absent: a password, as before OAuth existed
        widget=forms.RadioSelect,
    )
    oauth_provider = forms.ChoiceField(
        label="OAuth 2.0 provider",
        choices=[("", "Choose…"), *OAuthProvider.choices],
        required=False,
    )
    oauth_tenant_id = forms.CharField(
        label="Directory (tenant) ID",
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs={"spellcheck": "false", "placeholder": "00000000-0000-0000-0000-000000000000"}
        ),
        help_text="Microsoft Entra admin center → Overview → Tenant ID (or a domain of the "
        "directory, such as contoso.onmicrosoft.com).",
    )
    oauth_client_id = forms.CharField(
        label="Application (client) ID",
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
        help_text="On the app registration's Overview page.",
    )
    oauth_secret = forms.CharField(
        label="Client secret",
        max_length=4096,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
        help_text="The secret's Value (not its ID). Stored encrypted and never shown again.",
    )
    oauth_key = forms.CharField(
        label="Service account key (JSON)",
        max_length=MAX_KEY_FILE,
        required=False,
        strip=False,
        widget=SecretTextarea(
            attrs={
                "rows": 4,
                "spellcheck": "false",
                "autocomplete": "off",
                "placeholder": '{"type": "service_account", …}',
            }
        ),
        help_text="Paste the JSON key file, or choose it below. Only its client email, key ID "
        "and private key are kept, encrypted; the key is never shown again.",
    )
    oauth_key_file = forms.FileField(
        label="…or upload the key file",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/json,.json"}),
    )
    oauth_token_url = forms.CharField(
        label="Token URL",
        max_length=500,
        required=False,
        widget=forms.URLInput(
            attrs={"spellcheck": "false", "placeholder": "https://id.example.com/oauth2/token"}
        ),
        help_text="The provider's OAuth 2.0 token endpoint; HTTPS only.",
    )
    oauth_scope = forms.CharField(
        label="Scope",
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
        help_text="Space-separated, if your provider asks for one; leave empty otherwise.",
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
        self._hide_secret_username()
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
        if config is not None and config.has_oauth_secret:
            self.fields["oauth_secret"].help_text = (
                "Leave empty to keep the stored secret. Changing the server, mailbox, "
                "directory, token URL or client ID requires it again."
            )
            self.fields["oauth_key"].help_text = (
                "Leave empty to keep the stored key. Changing the server or mailbox requires "
                "it again."
            )

    @property
    def dropped_secrets(self) -> set[str]:
        """Secret fields the admin typed into that the re-shown form leaves empty (after an
        error): the page says so beside each, so that nothing is lost silently."""
        if not self.is_bound or not self.errors:
            return set()
        return {name for name in self.secret_fields if str(self.data.get(name, "")).strip()}

    @property
    def secret_fields(self) -> frozenset[str]:
        """The fields never shown again once typed: the username too where it is a token."""
        if isinstance(self.fields["username"].widget, forms.PasswordInput):
            return SECRETS
        return SECRETS - {"username"}

    def _hide_secret_username(self) -> None:
        """A username that is a credential is typed like a password and never shown again."""
        sealed = self.config is not None and self.config.username_sealed
        if not (sealed or (self.is_bound and username_is_secret(self.data))):
            return
        field = self.fields["username"]
        field.widget = forms.PasswordInput(render_value=False, attrs=field.widget.attrs)
        if sealed:
            self.initial["username"] = ""
            field.widget.attrs["placeholder"] = f"{self.config.username} (stored encrypted)"
            field.help_text = (
                "This provider's username is an API token: it is stored encrypted and never "
                "shown again. Leave empty to keep it; a new one requires the password again."
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
        sealed = self.config is not None and self.config.username_sealed
        if sealed and value.strip() == self.config.username:
            raise forms.ValidationError(
                "That is the stored token's mask, not the token. Type the token itself, or "
                "leave the field empty to keep the stored one.",
                code="mask",
            )
        reject_control_characters(value)
        return value.strip()

    def clean_password(self) -> str:
        return _typed_secret(
            self.cleaned_data["password"],
            "That looks like the hidden-password mask, not a password. Type the password "
            "itself, or leave the field empty to keep the stored one.",
        )

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

    def clean_auth_method(self) -> str:
        return self.cleaned_data["auth_method"] or AuthMethod.PASSWORD

    def clean_oauth_tenant_id(self) -> str:
        value = self.cleaned_data["oauth_tenant_id"].strip()
        if value and not _TENANT_ID.fullmatch(value):
            raise forms.ValidationError(
                "Enter the directory (tenant) ID: a GUID such as "
                "72f988bf-86f1-41af-91ab-2d7cd011db47, or a domain of the directory such as "
                "contoso.onmicrosoft.com.",
                code="invalid_tenant_id",
            )
        return value.lower()

    def clean_oauth_client_id(self) -> str:
        value = self.cleaned_data["oauth_client_id"]
        reject_control_characters(value)
        return value.strip()

    def clean_oauth_secret(self) -> str:
        return _typed_secret(
            self.cleaned_data["oauth_secret"],
            "That looks like a mask, not a secret. Paste the secret itself, or leave the "
            "field empty to keep the stored one.",
        ).strip()

    def clean_oauth_token_url(self) -> str:
        value = self.cleaned_data["oauth_token_url"].strip()
        if not value:
            return value
        reject_control_characters(value)
        try:
            https_target(value)
        except InvalidHost:
            raise forms.ValidationError(
                "Enter the token endpoint's full https:// address, such as "
                "https://id.example.com/realms/acme/protocol/openid-connect/token.",
                code="invalid_token_url",
            ) from None
        return value

    def clean_oauth_scope(self) -> str:
        value = self.cleaned_data["oauth_scope"]
        reject_control_characters(value)
        return " ".join(value.split())

    # --- the whole form ------------------------------------------------------------------

    def clean(self) -> dict:
        data = super().clean()
        if {"host", "port"} <= data.keys():
            self._check_network_policy(data["host"], data["port"])
        if data.get("auth_method") == AuthMethod.OAUTH2:
            self._clean_oauth(data)
        else:
            data.update(dict.fromkeys(OAUTH_FIELDS, ""), oauth_secret="")
        data.pop("oauth_key", None)
        data.pop("oauth_key_file", None)
        self._keep_stored_username(data)
        kind = secret_kind(data)
        if (
            kind.name not in self.errors
            and not data.get(kind.name)
            and secret_needed(data)
            and not stored_secret_applies(data, self.config)
        ):
            self.add_error(self.secret_field(data), self._secret_required_message(data))
        return data

    def _keep_stored_username(self, data: dict) -> None:
        """An empty username keeps a stored one that is a credential (never shown again)."""
        config = self.config
        if data.get("username") or "username" in self.errors or "host" not in data:
            return
        if config is None or not config.username_sealed or not username_is_secret(data):
            return
        try:
            data["username"] = username_open(config)
        except DecryptionError:
            self.add_error("username", "The stored token cannot be read any more; enter it again.")

    def _clean_oauth(self, data: dict) -> None:
        """The chosen provider's fields: required ones present, the key read, the rest blank."""
        data["password"] = ""
        provider = data.get("oauth_provider")
        if not provider:
            self.add_error("oauth_provider", "Choose the provider that issues the tokens.")
            return
        if not data.get("username") and "username" not in self.errors:
            self.add_error(
                "username",
                "Enter the mailbox to send as (its full address, e.g. noreply@yourcompany.com).",
            )
        for name in OAUTH_REQUIRED[provider]:
            if not data.get(name) and name not in self.errors:
                self.add_error(name, f"Enter the {self.fields[name].label.lower()}.")
        unused = set(OAUTH_FIELDS) - set(OAUTH_REQUIRED[provider]) - {"oauth_provider"}
        if provider == OAuthProvider.GENERIC:
            unused.discard("oauth_scope")
        if provider == OAuthProvider.MICROSOFT:
            client_id = data.get("oauth_client_id", "")
            if client_id and not _GUID.fullmatch(client_id):
                self.add_error(
                    "oauth_client_id",
                    "The application (client) ID is a GUID such as "
                    "00000000-0000-0000-0000-000000000000, on the app registration's Overview.",
                )
        if provider == OAuthProvider.GENERIC and data.get("oauth_token_url"):
            self._check_token_url(data["oauth_token_url"])
        if provider == OAuthProvider.GOOGLE:
            unused -= {"oauth_client_email", "oauth_key_id"}
            self._clean_google_key(data)
        for name in unused:
            data[name] = ""

    def _clean_google_key(self, data: dict) -> None:
        """The service account's JSON key, pasted or uploaded: keep three fields of it."""
        text = self.cleaned_data.get("oauth_key") or ""
        upload = self.cleaned_data.get("oauth_key_file")
        if upload:
            if upload.size > MAX_KEY_FILE:
                self.add_error("oauth_key", "That file is too large to be a service account key.")
                return
            text = upload.read().decode("utf-8", errors="replace")
        if not text.strip():
            # Nothing typed: the stored key stays, with the identity it was saved with.
            data["oauth_client_email"] = getattr(self.config, "oauth_client_email", "")
            data["oauth_key_id"] = getattr(self.config, "oauth_key_id", "")
            data["oauth_secret"] = ""
            return
        try:
            key = json.loads(text)
        except ValueError:
            key = None
        if not isinstance(key, dict) or key.get("type") != "service_account":
            self.add_error(
                "oauth_key",
                "This is not a service account's JSON key. In Google Cloud console → IAM & "
                "Admin → Service accounts → your account → Keys → Add key → JSON.",
            )
            return
        missing = [name for name in GOOGLE_KEY_FIELDS if not isinstance(key.get(name), str)]
        if missing:
            self.add_error("oauth_key", f"The key file has no {', '.join(missing)}.")
            return
        try:
            private_key = load_pem_private_key(key["private_key"].encode(), password=None)
        except (ValueError, TypeError):
            private_key = None
        if not isinstance(private_key, RSAPrivateKey):
            self.add_error("oauth_key", "The key file's private key cannot be read.")
            return
        data["oauth_client_email"] = key["client_email"].strip().lower()[:254]
        data["oauth_key_id"] = key["private_key_id"].strip()[:100]
        data["oauth_secret"] = key["private_key"]

    def _check_token_url(self, url: str) -> None:
        host, port, _ = https_target(url)
        try:
            resolve_and_check(host, port, self.policy, timeout=HOST_RESOLVE_TIMEOUT, https=True)
        except HostBlocked as exc:
            self.add_error(
                "oauth_token_url",
                f"{host_blocked_text(exc)}: the platform does not send secrets there.",
            )
        except HostUnresolvable:
            self.add_error("oauth_token_url", f"{host} does not resolve; check the spelling.")
        except DnsUnavailable:
            self.add_error(
                "oauth_token_url", f"{host} could not be looked up right now; try again shortly."
            )
        except PortNotAllowed as exc:
            allowed = ", ".join(str(p) for p in exc.allowed)
            self.add_error("oauth_token_url", f"Port {port} is not allowed (allowed: {allowed}).")

    def _check_network_policy(self, host: str, port: int) -> None:
        try:
            self.addresses = resolve_and_check(
                host, port, self.policy, timeout=HOST_RESOLVE_TIMEOUT
            )
        except HostBlocked as exc:
            if not exc.literal:  # exactly as a name that does not resolve (see diagnostics)
                self.add_error("host", _unresolvable_message(host))
                return
            self.add_error(
                "host",
                f"{host_blocked_text(exc)}: the platform does not connect there. If this is "
                "your own relay on a private network, ask your operator to allow that network.",
            )
        except HostUnresolvable:
            self.add_error("host", _unresolvable_message(host))
        except DnsUnavailable:
            self.add_error("host", f"{host} could not be looked up right now; try again shortly.")
        except PortNotAllowed as exc:
            allowed = ", ".join(str(port) for port in exc.allowed)
            self.add_error("port", f"Port {port} is not allowed (allowed: {allowed})")

    @staticmethod
    def secret_field(data: dict) -> str:
        """The field the admin types this data's secret into."""
        kind = secret_kind(data).name
        if kind == "oauth_secret" and data.get("oauth_provider") == OAuthProvider.GOOGLE:
            return "oauth_key"
        return kind

    def _secret_required_message(self, data: dict) -> str:
        label = secret_label(data)
        stored = self.config is not None and (
            self.config.has_oauth_secret
            if data.get("auth_method") == AuthMethod.OAUTH2
            else self.config.has_password
        )
        if not stored:
            if label == "password":
                return "Enter the password (or API key) for this username."
            return f"Enter the {label}."
        changed = " and ".join(BINDING_NAMES[name] for name in binding_changes(data, self.config))
        return (
            f"You changed the {changed}, so enter the {label} again: a stored secret is "
            "never sent to a different server, account or token endpoint."
        )

    @property
    def port_warning(self) -> str:
        if self.is_bound and self.data.get("port") == "25":
            return "Port 25 is usually blocked by cloud networks and often unencrypted; prefer 587."
        return ""
