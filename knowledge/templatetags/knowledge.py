from django import template

from knowledge import markup

register = template.Library()


@register.filter
def markdown(text):
    """Render Markdown through the allow-list sanitiser."""
    return markup.render(text)
