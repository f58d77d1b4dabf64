"""The class check's outcome on a reply (``Reply.class_doubt``): set by every service that
writes a reply's body or class, before it saves — the importer from the letter it has just
parsed, the admin's create and edit and a published revision by parsing the body. The rule
itself is ``replies.parsing.class_check``; see docs/class_check.md."""

from replies.models import Reply
from replies.parsing import ParsedLetter, parse_letter
from replies.parsing.class_check import ClassCheck, check_letter


def check_reply(reply: Reply, parsed: ParsedLetter | None = None) -> ClassCheck:
    """The check of ``reply``'s class against its letter (``parsed``, else its body)."""
    if not reply.classification:
        return ClassCheck("")
    return check_letter(reply.classification, parsed or parse_letter(reply.body or ""))


def fill_class_check(reply: Reply, parsed: ParsedLetter | None = None) -> None:
    """Set the outcome on ``reply`` (not saved: the caller saves it with the rest)."""
    result = check_reply(reply, parsed)
    reply.class_doubt = result.reason or ""
    reply.class_doubt_statements = list(result.statements)
