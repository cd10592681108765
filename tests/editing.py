"""What the admin's change form of a knowledge item posts, as a browser would send it."""

from django.contrib.auth.models import Group

from knowledge.models import Entry

from .factories import UserFactory


def form_data(item, crlf=False, **changes):
    """The POST of the item's change form with nothing edited, then `changes` applied.

    Text goes as it is stored, or with \\r\\n line endings as browsers send a textarea's
    content when `crlf` is true. Citations go as the inline's forms, one per citation.
    """
    data = {"note": "", "typo": ""}
    for name in item.revised_fields:
        field = item._meta.get_field(name)
        value = field.value_from_object(item)
        if field.many_to_many:
            value = [related.pk for related in value]
        elif isinstance(value, bool):
            value = "on" if value else ""
        elif value is None:
            value = ""
        elif crlf and isinstance(value, str):
            value = value.replace("\n", "\r\n")
        data[name] = value
    if isinstance(item, Entry):
        citations = list(item.citations.all())
        data |= management("citations", len(citations))
        for index, citation in enumerate(citations):
            data[f"citations-{index}-article"] = citation.article_id
            data[f"citations-{index}-quote"] = citation.quote
    data.update(changes)
    return data


def management(prefix, total):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def make_staff(username, *groups):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user
