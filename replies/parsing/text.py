"""Character-level helpers: width normalisation, Chinese numerals and page-chrome lines.

Every matcher in the parser runs on a *normalised copy* of a line, never on the original.
The copy is built with a one-to-one character map, so a span found in the copy is the
same span in the original and can be cut from it with the original punctuation intact.
"""

from __future__ import annotations

import re

# Numerals are shared with the models (session labels); the parser's modules read them here.
from core.numerals import cn_to_int, int_to_cn  # noqa: F401

# Full-width ASCII (U+FF01..U+FF5E) maps onto ASCII; the scraped letters mix both widths
# freely, sometimes within one line, so every pattern is written for the half-width form.
_TABLE: dict[int, str] = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}
# Every kind of space becomes a plain space: ideographic indentation (U+3000), &nbsp;
# from HTML, thin/zero-width spaces and stray BOMs all appear in copied letters.
_SPACES = "\t\u3000\xa0\u1680\u200b\u202f\u205f\ufeff" + "".join(map(chr, range(0x2000, 0x200B)))
for _ch in _SPACES:
    _TABLE[ord(_ch)] = " "
# Look-alike characters that writers use in place of the ideographic zero and the
# small-form punctuation some editors produce.
_TABLE.update(
    {
        ord("○"): "〇",
        ord("◯"): "〇",
        ord("﹑"): "、",
        ord("﹐"): ",",
        ord("﹔"): ";",
        ord("﹕"): ":",
        ord("︰"): ":",
        ord("﹖"): "?",
        ord("﹗"): "!",
        ord("﹙"): "(",
        ord("﹚"): ")",
        ord("〖"): "【",
        ord("〗"): "】",
        ord("\u2236"): ":",  # RATIO, seen in place of a colon
    }
)


def normalize(text: str) -> str:
    """Return a same-length copy with full-width forms and odd spaces folded to ASCII."""
    return text.translate(_TABLE)


_WS_RE = re.compile(r"\s+")


def words(text: str) -> tuple[str, ...]:
    """Split a space-separated word list (keeps long vocabularies readable in the source)."""
    return tuple(text.split())


def squeeze(text: str) -> str:
    """Drop every whitespace character (labels such as '索 引 号' are spaced out)."""
    return _WS_RE.sub("", text)


# ---------------------------------------------------------------------------
# Page chrome
# ---------------------------------------------------------------------------

# Words that make up navigation/tool bars; a line made only of these is chrome.
_CHROME_TOKENS = frozenset(
    words(
        "无障碍浏览 无障碍 长者模式 关怀版 适老化 打印 打印本页 打印此页 打印页面 我要打印 "
        "打印正文 关闭 关闭窗口 关闭本页 关闭页面 返回 返回顶部 返回首页 收藏 加入收藏 "
        "收藏本页 分享 分享到 详细查看 查看详情 字号 字体 大 中 小 默认 扫一扫 微信 微博 "
        "QQ空间 首页 当前位置 我要纠错 纠错 保存 保存本页 下载 视力保护色 | 繁体 简体 繁體 "
        "English 手机版 搜索"
    )
)
# Line beginnings that only page furniture has.
_CHROME_START_RE = re.compile(
    r"^(?:上一条|下一条|上一篇|下一篇|当前位置|您当前的位置|您的位置|您现在的位置|所在位置|"
    r"版权所有|copyright|©|主办单位?\s*[:]|承办单位\s*[:].{0,30}技术支持|技术支持|网站标识码|网站地图|"
    r"联系我们|扫一扫|【打印|\[打印|【关闭|\[关闭|选择阅读字号|分享到|承办\s*:|责任编辑|编辑\s*:)",
    re.IGNORECASE,
)
# Fragments that mark a (short) line as chrome wherever they occur.
_CHROME_ANY_RE = re.compile(
    r"浏览次数|点击数|点击量|阅读次数|访问次数|浏览量|阅读量|作者\s*[:]|网站标识码|ICP\s*备|ICP\s*证|"
    r"公网安备|技术支持|服务热线\s*[:]|详细查看|字号\s*[:]?\s*[\[【(]?\s*大\s*中\s*小|"
    r"\S主办\s+\S{2,}(?:承办|技术支持)|主办\s*[:]|【\s*(?:打印|关闭)|\[\s*(?:打印|关闭)",
    re.IGNORECASE,
)
# Once one of these appears after the letter, the rest of the page is navigation/footer.
_TAIL_START_RE = re.compile(r"^(?:上一条|下一条|上一篇|下一篇|相关链接|相关文章|相关阅读|相关新闻)")
_SEPARATOR_LINE_RE = re.compile(r"[\s|/\\\-—–_=*·•~.…<>«»+#]+")
_TOKEN_SPLIT_RE = re.compile(r"[\s\[\]【】()|/:·]+")

# Lines longer than this are letter prose: chrome checks that look *inside* a line are only
# applied to short lines so that a paragraph mentioning "服务热线:" is never dropped.
CHROME_MAX_LEN = 120


def is_chrome_line(norm: str) -> bool:
    """True when a stripped, normalised line is page furniture rather than letter text."""
    if not norm:
        return False
    if _SEPARATOR_LINE_RE.fullmatch(norm):
        # Lines of pipes, dashes or bullets only (share-button rows, separators).
        return True
    if len(norm) > CHROME_MAX_LEN:
        return False
    if _CHROME_START_RE.match(norm) or _CHROME_ANY_RE.search(norm):
        return True
    tokens = [t for t in _TOKEN_SPLIT_RE.split(norm) if t]
    return bool(tokens) and all(t in _CHROME_TOKENS for t in tokens)


def starts_page_tail(norm: str) -> bool:
    """True for the 上一条/下一条 line after which a page holds only links and footer."""
    return bool(_TAIL_START_RE.match(norm))


def opens_bracket_run(norm: str) -> bool:
    """A chrome line such as '字号:[' whose bracket closes a few lines later."""
    last_open = max(norm.rfind("["), norm.rfind("【"))
    last_close = max(norm.rfind("]"), norm.rfind("】"))
    return last_open > last_close


# Control characters have no place in a letter: they break feeds (XML) and terminals.
# Tab and line breaks stay; a form feed marks a page break for the parser, and the stored
# text has it as a line break.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def remove_control_characters(text: str) -> tuple[str, int]:
    """The text without control characters (form feeds kept), and how many went."""
    cleaned, count = _CONTROL.subn("", text)
    return cleaned, count
