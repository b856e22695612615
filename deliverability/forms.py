"""The Deliverability tab's form: add or remove a DKIM selector."""

from django import forms

from deliverability.engine import normalize_selector

ADD, REMOVE = "add", "remove"


class DkimSelectorForm(forms.Form):
    action = forms.ChoiceField(choices=[(ADD, "Add"), (REMOVE, "Remove")], initial=ADD)
    selector = forms.CharField(
        label="DKIM selector",
        max_length=253,
        help_text="The part before ._domainkey in the DKIM host name your provider shows, "
        "like s1 or 20240101120000pm.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_selector(self) -> str:
        try:
            return normalize_selector(self.cleaned_data["selector"])
        except ValueError:
            raise forms.ValidationError(
                "This is not a DKIM selector: enter the part before ._domainkey, "
                "letters, digits, '-' and '_' only."
            ) from None
