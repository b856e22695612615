from django import forms
from django.core.exceptions import ValidationError

from email_templates.locales import LOCALES
from email_templates.sandbox import HEX_COLOUR

# White button text must stay readable on the brand colour (WCAG 2.2, large bold text).
MIN_CONTRAST = 3.0


def _luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_with_white(hex_colour: str) -> float:
    return 1.05 / (_luminance(hex_colour) + 0.05)


class EmailTemplateForm(forms.Form):
    subject = forms.CharField(required=False, strip=False)
    body_text = forms.CharField(required=False, strip=False, widget=forms.Textarea)
    body_html = forms.CharField(required=False, strip=False, widget=forms.Textarea)


class EmailBrandForm(forms.Form):
    default_locale = forms.ChoiceField(
        label="Default language",
        choices=list(LOCALES.items()),
        help_text="For users whose language is not known, or has no translation.",
    )
    brand_colour = forms.CharField(
        label="Brand colour",
        max_length=7,
        help_text="Buttons and the line above each email, as #rrggbb.",
    )
    logo_url = forms.URLField(
        label="Logo URL",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="An https:// image shown at the top of every email, 32 px high. "
        "Leave empty to show your organisation's name.",
    )

    def clean_brand_colour(self) -> str:
        value = self.cleaned_data["brand_colour"].strip().lower()
        if not HEX_COLOUR.fullmatch(value):
            raise ValidationError(
                "Enter the colour as # and six hexadecimal digits, like #3346d3.", code="format"
            )
        contrast = contrast_with_white(value)
        if contrast < MIN_CONTRAST:
            raise ValidationError(
                f"White button text on {value} is hard to read (contrast {contrast:.1f}:1); "
                f"choose a darker colour (at least {MIN_CONTRAST:.0f}:1).",
                code="contrast",
            )
        return value

    def clean_logo_url(self) -> str:
        value = self.cleaned_data["logo_url"]
        if value and not value.startswith("https://"):
            raise ValidationError(
                "The logo must be an https:// address: mail clients block images over http.",
                code="scheme",
            )
        return value
