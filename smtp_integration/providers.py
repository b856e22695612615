"""SMTP providers as data: form presets and the DNS each one expects.

Facts checked on ``CHECKED`` from the providers' own setup guides; they change,
so each provider carries the date and the engine only reads this data.
Templates may use ``{domain}``, ``{domain_dashed}`` (example-com), ``{selector}``
and, for hosts matched with a named group, that group (``{region}``).
Anything in ``<angle brackets>`` must be copied from the provider's dashboard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from smtp_integration.transport.types import TlsMode

CHECKED = date(2026, 11, 23)

STARTTLS, TLS = TlsMode.STARTTLS, TlsMode.TLS


@dataclass(frozen=True)
class SmtpEndpoint:
    """A host/port/TLS combination the form can fill in."""

    host: str
    port: int = 587
    tls_mode: str = STARTTLS
    label: str = ""


@dataclass(frozen=True)
class DkimHint:
    """Where the provider's DKIM keys live."""

    selectors: tuple[str, ...] = ()  # always used: missing = fail
    guesses: tuple[str, ...] = ()  # commonly used: none found = unverified
    cname_suffixes: tuple[str, ...] = ()  # provider-hosted keys are CNAMEs to these
    guessable: bool = True  # False: selectors are random, the admin must enter them
    templates: tuple[tuple[str, str, str], ...] = ()  # (selector or "*", type, value)
    instructions: str = ""  # where the admin finds the selector and record


@dataclass(frozen=True)
class ReturnPathHint:
    """The bounce (envelope-from) host the provider asks for, if any."""

    host: str | None  # template; None when the provider picks a random name
    rdtype: str  # "CNAME" or "MX"
    target_suffix: str  # what the record must point at (template, may hold <placeholders>)
    host_hint: str = ""  # how a random host name looks, to show the admin
    publish: tuple[tuple[str, str], ...] = ()  # (type, value) safe to publish at host
    from_dkim_target: str | None = None  # regex on a DKIM CNAME target giving (?P<target>)
    instructions: str = ""


@dataclass(frozen=True)
class Provider:
    """One SMTP provider: presets, credential hints and DNS expectations."""

    key: str
    name: str
    host_patterns: tuple[str, ...]  # regexes matched in full against the SMTP host
    endpoints: tuple[SmtpEndpoint, ...]
    username_hint: str
    password_hint: str
    spf_include: str | None
    dkim: DkimHint
    docs_hint: str
    spf_include_aliases: tuple[str, ...] = ()  # older names that authorise too
    spf_required: bool = True  # False: the provider's own return-path carries SPF
    return_path: ReturnPathHint | None = None
    # Sign-in methods the form offers for this provider, the first chosen by the preset; with
    # "oauth2", which token endpoint (an OAuthProvider value) and who the mailbox is.
    auth_methods: tuple[str, ...] = ("password",)
    oauth_provider: str = ""
    oauth_username_hint: str = ""
    note: str = ""  # one sentence the admin should know before choosing
    # The provider's username is itself a credential (an API token): sealed like the password.
    username_is_secret: bool = False
    username_default: str = ""  # the same for every account (SendGrid's "apikey"): filled in
    checked: date = CHECKED
    _compiled: tuple[re.Pattern, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        patterns = tuple(re.compile(p, re.IGNORECASE) for p in self.host_patterns)
        object.__setattr__(self, "_compiled", patterns)

    def match(self, host: str) -> dict[str, str] | None:
        """The pattern's named groups if ``host`` is this provider's, else None."""
        host = host.strip().rstrip(".").lower()
        for pattern in self._compiled:
            found = pattern.fullmatch(host)
            if found:
                return found.groupdict()
        return None

    @property
    def spf_includes(self) -> tuple[str, ...]:
        """Every include that authorises this provider, the recommended one first."""
        return (self.spf_include, *self.spf_include_aliases) if self.spf_include else ()


SES_REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
)

SENDGRID = Provider(
    key="sendgrid",
    name="SendGrid",
    host_patterns=(r"smtp\.sendgrid\.net",),
    endpoints=(
        SmtpEndpoint("smtp.sendgrid.net", 587, STARTTLS),
        SmtpEndpoint("smtp.sendgrid.net", 465, TLS),
        SmtpEndpoint("smtp.sendgrid.net", 2525, STARTTLS),
    ),
    username_hint="The literal word apikey.",
    username_default="apikey",
    password_hint=(  # noqa: S106 - help text, not a password
        "An API key with the Mail Send permission."
    ),
    spf_include="sendgrid.net",
    dkim=DkimHint(
        selectors=("s1", "s2"),
        cname_suffixes=("sendgrid.net",),
        templates=(("*", "CNAME", "{selector}.domainkey.u<account id>.wl<number>.sendgrid.net"),),
        instructions="SendGrid → Settings → Sender Authentication → your domain lists the "
        "s1._domainkey and s2._domainkey CNAME records.",
    ),
    return_path=ReturnPathHint(
        host=None,
        rdtype="CNAME",
        target_suffix="u<account id>.wl<number>.sendgrid.net",
        host_hint="em<number>.{domain}",
        from_dkim_target=r"s[12]\.domainkey\.(?P<target>u\d+\.wl\d*\.sendgrid\.net)",
        instructions="SendGrid → Settings → Sender Authentication shows it as "
        "em<number>.{domain}, a CNAME to u<account id>.wl<number>.sendgrid.net.",
    ),
    docs_hint="SendGrid → Settings → Sender Authentication → Authenticate your domain.",
)

POSTMARK = Provider(
    key="postmark",
    name="Postmark",
    host_patterns=(r"smtp(-broadcasts)?\.postmarkapp\.com",),
    endpoints=(
        SmtpEndpoint("smtp.postmarkapp.com", 587, STARTTLS, "Transactional stream"),
        SmtpEndpoint("smtp.postmarkapp.com", 2525, STARTTLS, "Transactional stream"),
        SmtpEndpoint("smtp-broadcasts.postmarkapp.com", 587, STARTTLS, "Broadcast stream"),
    ),
    username_hint="Your Postmark Server API token (the same token is the password).",
    username_is_secret=True,
    password_hint=(  # noqa: S106 - help text, not a password
        "The same Server API token."
    ),
    spf_include="spf.mtasv.net",
    # Postmark sends with its own Return-Path (pm-bounces), so SPF is checked there.
    spf_required=False,
    dkim=DkimHint(
        guessable=False,
        templates=(("*", "TXT", "v=DKIM1; k=rsa; p=<public key shown in Postmark>"),),
        instructions="Postmark → Sender Signatures → your domain → DNS settings shows the "
        "DKIM host name, like 20240101120000pm._domainkey: enter the part before ._domainkey.",
    ),
    return_path=ReturnPathHint(
        host="pm-bounces.{domain}",
        rdtype="CNAME",
        target_suffix="pm.mtasv.net",
        publish=(("CNAME", "pm.mtasv.net"),),
        instructions="Postmark → Sender Signatures → your domain → Return-Path "
        "(pm-bounces is Postmark's default host name; use the one shown there).",
    ),
    docs_hint="Postmark → Sender Signatures → Add Domain or Signature → DNS settings.",
)

MAILGUN = Provider(
    key="mailgun",
    name="Mailgun",
    host_patterns=(r"smtp\.(eu\.)?mailgun\.org",),
    endpoints=(
        SmtpEndpoint("smtp.mailgun.org", 587, STARTTLS, "US region"),
        SmtpEndpoint("smtp.mailgun.org", 465, TLS, "US region"),
        SmtpEndpoint("smtp.eu.mailgun.org", 587, STARTTLS, "EU region"),
        SmtpEndpoint("smtp.eu.mailgun.org", 465, TLS, "EU region"),
    ),
    username_hint="An SMTP login of your Mailgun domain, e.g. postmaster@<your domain>.",
    password_hint=(  # noqa: S106 - help text, not a password
        "That SMTP login's password (not the API key)."
    ),
    spf_include="mailgun.org",
    spf_include_aliases=("eu.mailgun.org",),
    dkim=DkimHint(
        guesses=("pdk1", "pdk2", "k1", "krs", "mx", "smtp", "mailo", "pic"),
        templates=(("*", "TXT", "<DKIM record shown in Mailgun>"),),
        instructions="Mailgun → Sending → Domain settings → DNS records shows the DKIM host "
        "name, like pdk1._domainkey or krs._domainkey: enter the part before ._domainkey.",
    ),
    return_path=ReturnPathHint(
        host="{domain}",
        rdtype="MX",
        target_suffix="mailgun.org",
        instructions="Mailgun's envelope sender is bounce+…@ your Mailgun sending domain; "
        "its MX records (mxa.mailgun.org and mxb.mailgun.org, or mxa.eu.mailgun.org and "
        "mxb.eu.mailgun.org in the EU) are listed in Mailgun → Sending → Domain settings. "
        "Only publish them on a sending subdomain such as mg.{domain}, never on a domain "
        "that receives your company's mail.",
    ),
    docs_hint="Mailgun → Sending → Domains → Add new domain (a subdomain such as mg.<domain>).",
)

AMAZON_SES = Provider(
    key="amazon_ses",
    name="Amazon SES",
    host_patterns=(r"email-smtp(-fips)?\.(?P<region>[a-z]{2}(-[a-z]+)+-\d)\.amazonaws\.com",),
    endpoints=(
        *(
            SmtpEndpoint(f"email-smtp.{region}.amazonaws.com", 587, STARTTLS, region)
            for region in SES_REGIONS
        ),
        SmtpEndpoint("email-smtp.us-east-1.amazonaws.com", 465, TLS, "us-east-1"),
    ),
    username_hint="The SMTP user name of SES SMTP credentials (SES → SMTP settings → "
    "Create SMTP credentials), not an IAM access key.",
    password_hint=(  # noqa: S106 - help text, not a password
        "The SMTP password shown once when the SMTP credentials were created."
    ),
    spf_include="amazonses.com",
    # SES carries SPF on the custom MAIL FROM domain, not on the From domain.
    spf_required=False,
    dkim=DkimHint(
        guessable=False,
        cname_suffixes=("dkim.amazonses.com",),
        templates=(("*", "CNAME", "{selector}.dkim.amazonses.com"),),
        instructions="SES → Identities → your domain → Authentication shows three CNAME "
        "records like abcdefghijklmnop._domainkey: enter the three tokens before ._domainkey.",
    ),
    return_path=ReturnPathHint(
        host="bounce.{domain}",
        rdtype="MX",
        target_suffix="feedback-smtp.{region}.amazonses.com",
        publish=(
            ("MX", "10 feedback-smtp.{region}.amazonses.com"),
            ("TXT", "v=spf1 include:amazonses.com ~all"),
        ),
        instructions="SES → Identities → your domain → Custom MAIL FROM domain "
        "(bounce.{domain} is a common choice; use the name set there).",
    ),
    docs_hint="SES → Configuration → Identities → Create identity → Domain (Easy DKIM).",
)

GOOGLE_WORKSPACE = Provider(
    key="google_workspace",
    name="Google Workspace",
    host_patterns=(r"smtp(-relay)?\.gmail\.com", r"smtp\.googlemail\.com"),
    endpoints=(
        SmtpEndpoint("smtp.gmail.com", 587, STARTTLS, "Mailbox"),
        SmtpEndpoint("smtp.gmail.com", 465, TLS, "Mailbox"),
        SmtpEndpoint("smtp-relay.gmail.com", 587, STARTTLS, "SMTP relay service"),
    ),
    username_hint="The full mailbox address; for smtp-relay.gmail.com, the relay must be "
    "set up in the Admin console (Gmail → Routing → SMTP relay service) and allow SMTP AUTH.",
    password_hint=(  # noqa: S106 - help text, not a password
        "An app password of that mailbox (needs 2-Step Verification), not the account password."
    ),
    spf_include="_spf.google.com",
    dkim=DkimHint(
        selectors=("google",),
        templates=(("*", "TXT", "v=DKIM1; k=rsa; p=<public key from the Admin console>"),),
        instructions="Admin console → Apps → Google Workspace → Gmail → Authenticate email "
        "generates the key; its default prefix is google (enter yours if you changed it), "
        "then press Start authentication.",
    ),
    docs_hint="Admin console → Apps → Google Workspace → Gmail → Authenticate email.",
    auth_methods=("oauth2", "password"),
    oauth_provider="google",
    oauth_username_hint="The Workspace user to send as; the service account acts for them "
    "through domain-wide delegation.",
    note="OAuth 2.0 with a service account needs no user's password; app passwords still work "
    "for a single mailbox with 2-Step Verification.",
)

MICROSOFT_365 = Provider(
    key="microsoft_365",
    name="Microsoft 365",
    host_patterns=(r"smtp\.office365\.com", r"[a-z0-9-]+\.mail\.protection\.outlook\.com"),
    endpoints=(SmtpEndpoint("smtp.office365.com", 587, STARTTLS),),
    username_hint="The mailbox address; Authenticated SMTP (SMTP AUTH) must be enabled "
    "for that mailbox, and Microsoft is retiring basic-auth SMTP AUTH: check your tenant.",
    password_hint=(  # noqa: S106 - help text, not a password
        "The mailbox password (or an app password where MFA requires one)."
    ),
    spf_include="spf.protection.outlook.com",
    dkim=DkimHint(
        selectors=("selector1", "selector2"),
        cname_suffixes=("onmicrosoft.com", "dkim.mail.microsoft"),
        templates=(
            ("*", "CNAME", "{selector}-{domain_dashed}._domainkey.<tenant>.onmicrosoft.com"),
        ),
        instructions="Microsoft Defender portal → Email authentication settings → DKIM → "
        "your domain shows both CNAME records; publish them, then enable signing.",
    ),
    docs_hint="Microsoft Defender portal → Policies & rules → Email authentication settings.",
    auth_methods=("oauth2", "password"),
    oauth_provider="microsoft",
    oauth_username_hint="The mailbox to send as; the app's service principal needs access "
    "to it in Exchange Online.",
    note="Microsoft 365 switches password sign-in (basic authentication) for SMTP off by "
    "default at the end of December 2026, and new Microsoft 365 tenants don't get it: use "
    "OAuth 2.0.",
)

BREVO = Provider(
    key="brevo",
    name="Brevo",
    host_patterns=(r"smtp-relay\.(brevo|sendinblue)\.com",),
    endpoints=(
        SmtpEndpoint("smtp-relay.brevo.com", 587, STARTTLS),
        SmtpEndpoint("smtp-relay.brevo.com", 465, TLS),
        SmtpEndpoint("smtp-relay.brevo.com", 2525, STARTTLS),
    ),
    username_hint="The SMTP login shown in Brevo → SMTP & API → SMTP (your login email "
    "or an address ending in @smtp-brevo.com).",
    password_hint=(  # noqa: S106 - help text, not a password
        "An SMTP key from Brevo → SMTP & API → SMTP (not the API key)."
    ),
    spf_include="spf.brevo.com",
    spf_include_aliases=("spf.sendinblue.com",),
    dkim=DkimHint(
        guesses=("brevo1", "brevo2", "mail"),
        cname_suffixes=("brevo.com", "sendinblue.com"),
        templates=(
            ("brevo1", "CNAME", "b1.{domain_dashed}.dkim.brevo.com"),
            ("brevo2", "CNAME", "b2.{domain_dashed}.dkim.brevo.com"),
        ),
        instructions="Brevo → Senders, Domains & Dedicated IPs → Domains → Authenticate "
        "lists the DKIM records (brevo1/brevo2 CNAMEs, or mail._domainkey on older domains).",
    ),
    docs_hint="Brevo → Senders, Domains & Dedicated IPs → Domains → Add a domain.",
)

OWN_SERVER = Provider(
    key="other",
    name="Other / own server",
    host_patterns=(),
    endpoints=(SmtpEndpoint("", 587, STARTTLS),),
    username_hint="The account your server accepts for SMTP AUTH.",
    password_hint=(  # noqa: S106 - help text, not a password
        "That account's password."
    ),
    spf_include=None,
    dkim=DkimHint(
        guesses=("default", "dkim", "mail", "smtp", "selector1", "s1", "k1", "key1"),
        templates=(("*", "TXT", "v=DKIM1; k=rsa; p=<your server's public key>"),),
        instructions="The selector is the s= value in the DKIM-Signature header of a message "
        "your server sent, or in its DKIM signing configuration.",
    ),
    docs_hint="Your mail server's documentation for DKIM signing and its sending IP addresses.",
)

PROVIDERS: tuple[Provider, ...] = (
    SENDGRID,
    POSTMARK,
    MAILGUN,
    AMAZON_SES,
    GOOGLE_WORKSPACE,
    MICROSOFT_365,
    BREVO,
    OWN_SERVER,
)


def provider_for_host(host: str | None) -> Provider | None:
    """The provider whose SMTP host this is; None for an own or unknown server."""
    if not host:
        return None
    for provider in PROVIDERS:
        if provider.match(host) is not None:
            return provider
    return None
