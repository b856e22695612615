from datetime import timedelta

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from cymmetri.throttle import attempt_count, attempts_so_far, key_part, wait_text
from cymmetri.validators import reject_control_characters


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account of this tenant.",
    }
    # Failed sign-ins allowed per address and per network in a window, before a pause.
    FAILURES_PER_ADDRESS = 10
    FAILURES_PER_IP = 50
    WINDOW = timedelta(minutes=15)

    def _failure_keys(self) -> list[tuple[str, int]]:
        email = str(self.data.get("username", ""))
        keys = [(f"accounts:signin:email:{key_part(email)}", self.FAILURES_PER_ADDRESS)]
        ip = self.request.META.get("REMOTE_ADDR") if self.request else None
        if ip:
            keys.append((f"accounts:signin:ip:{key_part(ip)}", self.FAILURES_PER_IP))
        return keys

    def clean(self):
        keys = self._failure_keys()
        for key, limit in keys:
            count, left = attempts_so_far(key, window=self.WINDOW)
            if count >= limit:
                # Checked before the password, so guessing gains nothing while paused.
                raise ValidationError(
                    "Too many failed sign-ins for this address or from your network. "
                    f"Try again in {wait_text(left)}, or reset your password.",
                    code="throttled",
                )
        try:
            return super().clean()
        except ValidationError:
            for key, _ in keys:
                attempt_count(key, window=self.WINDOW)
            raise


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
