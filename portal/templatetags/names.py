"""Names on public pages: the placeholders the letter import makes up read as 未注明."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from proposals.models import is_placeholder_name

register = template.Library()


def _unstated() -> str:
    return format_html('<span class="unstated">{}</span>', _("未注明"))


@register.filter
def shown_name(value) -> str:
    """A committee's, department's or session's name as the public reads it: a made-up
    committee or department ("未注明地区政协", "未注明承办单位") as 未注明 in muted text; a
    session of a made-up committee as 未注明 plus the session's own label."""
    if value is None or value == "":
        return ""
    if getattr(value, "is_placeholder", False) or (
        isinstance(value, str) and is_placeholder_name(value)
    ):
        return _unstated()
    committee = getattr(value, "committee", None)
    if committee is not None and getattr(committee, "is_placeholder", False):
        return format_html("{}{}", _unstated(), value.label)
    return str(value)
