"""The admin's forms for editing advice through drafts and reviewing them."""

from django import forms
from django.core.exceptions import ValidationError

from . import markup


class KnowledgeForm(forms.ModelForm):
    def clean(self):
        cleaned_data = super().clean()
        for name, value in cleaned_data.items():
            if isinstance(value, str):
                cleaned_data[name] = markup.unix_newlines(value)
        return cleaned_data


class DraftForm(KnowledgeForm):
    """An editor's change, which goes into a draft for review instead of onto the site."""

    note = forms.CharField(
        label="Note for the reviewer",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What you changed and why.",
    )
    typo = forms.BooleanField(
        label="This is a small fix, such as a typo",
        required=False,
        help_text="It still needs a reviewer, who can check it quickly.",
    )
    # The values of the draft being edited, shown instead of the published ones.
    draft_initial = {}

    def __init__(self, *args, initial=None, **kwargs):
        super().__init__(*args, initial={**self.draft_initial, **(initial or {})}, **kwargs)


class ArticleForm(DraftForm):
    def clean_body(self):
        body = markup.unix_newlines(self.cleaned_data["body"])
        if self.instance.pk is not None:
            lost = self.instance.lost_citations(body)
            if lost:
                raise ValidationError(
                    [f"{c.entry} cites “{c.quote}”, which this text no longer has." for c in lost]
                )
        return body


class ReviewForm(forms.Form):
    # The name of each button on the review page, and what it does.
    ACTIONS = {
        "submit": "Submit for review",
        "withdraw": "Withdraw the draft",
        "approve": "Approve and publish",
        "send_back": "Send back",
    }

    comment = forms.CharField(
        label="Comment",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For the author: what to change, or why it is fine. Needed to send it back.",
    )
    # When the page was read: a decision applies to the draft as the reviewer saw it.
    seen = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, revision, **kwargs):
        super().__init__(*args, initial={"seen": revision.updated_at.isoformat()}, **kwargs)
        self.revision = revision

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("seen") != self.revision.updated_at.isoformat():
            raise ValidationError(
                "This draft changed while you were reading it. Read it again before you decide."
            )
        return cleaned_data
