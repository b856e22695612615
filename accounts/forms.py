import secrets
from datetime import timedelta

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.addresses import email_ambiguity_check
from accounts.models import ApiScope
from accounts.sign_in import SignInThrottled, sign_in_authenticate
from cymmetri.validators import reject_control_characters
from mailer.validation import validate_recipient

# What a new address of an account must pass: one the mailer sends to, with no look-alikes.
NEW_ADDRESS_VALIDATORS = [validate_recipient, email_ambiguity_check]


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account of this tenant.",
    }

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email and password:
            try:
                self.user_cache = sign_in_authenticate(
                    request=self.request, email=email, password=password
                )
            except SignInThrottled as refusal:
                raise ValidationError(str(refusal), code="throttled") from None
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
        help_text="The address you sign in with.",
    )


class AdminInviteForm(forms.Form):
    email = forms.EmailField(
        label="Email",
        max_length=254,
        validators=NEW_ADDRESS_VALIDATORS,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    full_name = forms.CharField(
        label="Name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].lower()

    def clean_full_name(self) -> str:
        # The name appears in the invitee's emails, their subject line included.
        reject_control_characters(self.cleaned_data["full_name"])
        return self.cleaned_data["full_name"]


class EmailChangeForm(forms.Form):
    new_email = forms.EmailField(
        label="New email address",
        max_length=254,
        validators=NEW_ADDRESS_VALIDATORS,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        help_text="We send a link to this address; your address changes once you open it.",
    )
    password = forms.CharField(
        label="Current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="To make sure it is you.",
    )

    def clean_new_email(self) -> str:
        return self.cleaned_data["new_email"].lower()


EXPIRY_CHOICES = [("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year"), ("", "Never")]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What uses it, e.g. “Terraform” or “Billing service”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    scopes = forms.MultipleChoiceField(
        choices=[(value, f"{value} · {label}") for value, label in ApiScope.choices],
        widget=forms.CheckboxSelectMultiple,
        help_text="Give a token only what it needs.",
        error_messages={"required": "Choose at least one scope."},
    )
    expires_in = forms.ChoiceField(
        label="Expires", choices=EXPIRY_CHOICES, initial="90", required=False
    )
    # One per form shown: the same form posted again (a reload) creates no second token.
    request_id = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("request_id", secrets.token_urlsafe(16))
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        value = self.cleaned_data["name"]
        reject_control_characters(value)
        return value.strip()

    @property
    def expires_at(self):
        days = self.cleaned_data.get("expires_in")
        return timezone.now() + timedelta(days=int(days)) if days else None
