from django import forms
from django.core.validators import URLValidator


class PushSubscriptionForm(forms.Form):
    """A browser's PushSubscription, as its toJSON() gives it: only push services over HTTPS."""

    endpoint = forms.URLField(
        max_length=1000, validators=[URLValidator(schemes=["https"])], assume_scheme="https"
    )
    p256dh = forms.CharField(max_length=200)
    auth = forms.CharField(max_length=100)
