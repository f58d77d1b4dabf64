"""Links as people share them: absolute, and readable (Chinese as written, not %E4%B8%B4…)."""

from django import template
from django.conf import settings
from django.utils.encoding import uri_to_iri

register = template.Library()


@register.filter
def absolute(path: str) -> str:
    """``path`` on the site's public address (``SITE_URL``), never the request's Host
    header: a cached page must not carry whatever host someone asked it under."""
    return settings.SITE_URL.rstrip("/") + path


@register.filter
def readable(url: str) -> str:
    """The URL as an IRI: percent-encoded UTF-8 shown as the characters it encodes; what
    must stay escaped (a "/" or "%" inside a part) stays escaped."""
    return uri_to_iri(url)
