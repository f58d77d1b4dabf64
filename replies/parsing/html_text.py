"""HTML disclosure pages -> plain letter text, with the standard library's HTMLParser."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements whose content is never letter text.
_DROP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "title",
        "nav",
        "aside",
        "iframe",
        "svg",
        "select",
        "button",
        "object",
        "canvas",
        "map",
        "audio",
        "video",
        "footer",
    }
)
# class/id tokens of navigation-like containers (breadcrumbs, menus, share bars, footers).
_NAVISH_TOKENS = frozenset(
    {
        "nav",
        "navbar",
        "navigation",
        "menu",
        "breadcrumb",
        "breadcrumbs",
        "crumb",
        "crumbs",
        "footer",
        "sidebar",
        "share",
        "toolbar",
        "topbar",
        "bdsharebuttonbox",
    }
)
_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "ul",
    }
)
_VOID_TAGS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
_TOKEN_SPLIT_RE = re.compile(r"[\s_\-]+")
_ASCII_WS_RE = re.compile(r"[ \t\r\n\f]+")


def _is_navish(attrs: list[tuple[str, str | None]]) -> bool:
    for name, value in attrs:
        if not value:
            continue
        if name == "role" and value.strip().lower() == "navigation":
            return True
        if name in ("class", "id"):
            tokens = {t.lower() for t in _TOKEN_SPLIT_RE.split(value) if t}
            if tokens & _NAVISH_TOKENS:
                return True
    return False


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_tag: str | None = None
        self._skip_depth = 0
        self._pre = 0
        self._cells_in_row = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_tag is not None:
            if tag == self._skip_tag:
                self._skip_depth += 1
            return
        if tag not in _VOID_TAGS and (tag in _DROP_TAGS or _is_navish(attrs)):
            self._skip_tag, self._skip_depth = tag, 1
            return
        if tag == "br":
            self.parts.append("\n")
        elif tag == "tr":
            self.parts.append("\n")
            self._cells_in_row = 0
        elif tag in ("td", "th"):
            # Cells of one row stay on one line, two spaces apart, so that 'label  value'
            # pairs of metadata tables read like the two-column text layout.
            if self._cells_in_row:
                self.parts.append("  ")
            self._cells_in_row += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "pre":
            self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_tag is None and tag in ("br", "hr", "p", "div"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._skip_tag is not None:
            if tag == self._skip_tag:
                self._skip_depth -= 1
                if self._skip_depth == 0:
                    self._skip_tag = None
            return
        if tag == "tr" or tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "pre" and self._pre:
            self._pre -= 1

    def handle_data(self, data: str) -> None:
        if self._skip_tag is not None:
            return
        if not self._pre:
            # Source line breaks and indentation are not text in HTML; &nbsp; and the
            # ideographic space are, and survive as written.
            data = _ASCII_WS_RE.sub(" ", data)
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML page: one line per block, table rows as 'cell  cell'.

    Scripts, styles and navigation-like elements are dropped, entities are unescaped.
    Never raises on malformed markup: what the parser could read so far is returned.
    """
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:  # noqa: BLE001 - html.parser can trip on hostile markup; keep the text
        pass
    lines: list[str] = []
    for line in "".join(extractor.parts).split("\n"):
        stripped = line.strip(" \t\r\f")
        if stripped.strip():
            lines.append(stripped)
    return "\n".join(lines)


_HTML_SNIFF_RE = re.compile(
    r"^\s*(?:<!doctype\s+html|<html[\s>]|<\?xml|<head[\s>]|<body[\s>]|<meta\s)", re.I
)
_TAG_RE = re.compile(r"</?(?:p|div|br|table|tr|td|span|body|html|h[1-6])\b[^>]*>", re.I)


def looks_like_html(text: str) -> bool:
    """True for markup (a page or a fragment pasted from one), not for letter text."""
    head = text[:4096]
    if _HTML_SNIFF_RE.match(head):
        return True
    return head.lstrip().startswith("<") and len(_TAG_RE.findall(head)) >= 2
