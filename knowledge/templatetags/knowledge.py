from django import template
from django.utils.safestring import mark_safe

from knowledge import markup

register = template.Library()


@register.filter
def markdown(text):
    """Render Markdown through the allow-list sanitiser; the result is safe to output as is."""
    return mark_safe(markup.render(text))  # noqa: S308 - nh3 has sanitised it
