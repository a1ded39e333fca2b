"""English the bot stored, read back into the catalogue message it came from, so it can be shown in any language.

The ledger keeps its entries' reasons and a failed job's error in English: they are the audit trail, and the CSV
shows them as written. When a member or a moderator reads one, `shown_text` finds the catalogue message whose
English rendering the text is (`"released: the job was cancelled"` is `"released: {why}"` with `why` = `"the job
was cancelled"`, itself a message), reads its parameters back (amounts become `Amount`s again, so `US$` appears
for a zh-TW reader) and lets the caller render it in the reader's language. Text that matches no message — what
a moderator typed, an exception's own words — is shown as it was stored.

`bot.i18n.stored` declares the texts the ledger and the runner write as catalogue messages, word for word.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from bot.i18n import SIMPLIFIED, Message, Text, read_catalogue
from bot.money import Amount, parse_amount

# A parameter read back is itself read back this deep ("released: {why}" -> "the job failed ({error})").
_DEPTH: Final = 2
# `Amount`'s English rendering: `$0.50`, `-$1,234.025`.
_AMOUNT: Final = re.compile(r"-?\$\d{1,3}(?:,\d{3})*\.\d{2,6}")
# "ServerError: The image service ..." (a failed job's error): the exception's name, then its message.
_ERROR_NAME: Final = re.compile(r"[A-Z]\w*: ")


@dataclass(frozen=True)
class _Template:
    msgid: str
    plural: str | None
    pattern: re.Pattern[str]
    literals: tuple[str, ...]
    names: tuple[str, ...]  # the regex group of each distinct placeholder, in order

    @property
    def weight(self) -> int:
        """How much of the template is fixed text: the more, the surer a match."""
        return sum(map(len, self.literals))


def _template(msgid: str, form: str, plural: str | None) -> _Template | None:
    """A pattern matching `form` rendered with any values; None for a template without a fixed word (such as
    `"{amount} {per_period}"`), which would match almost any text."""
    regex: list[str] = []
    literals: list[str] = []
    names: list[str] = []
    for literal, name, _spec, _conversion in string.Formatter().parse(form):
        if literal:
            regex.append(re.escape(literal))
            literals.append(literal)
        if name is None:
            continue
        if not name.isidentifier():  # `{0}` or `{a.b}`: not a message of ours
            return None
        if name in names:
            regex.append(f"(?P={name})")
        else:
            names.append(name)
            regex.append(f"(?P<{name}>.+?)")
    if not any(ch.isalpha() for literal in literals for ch in literal):
        return None
    pattern = re.compile("".join(regex), re.DOTALL)
    return _Template(msgid, plural, pattern, tuple(literals), tuple(names))


@functools.cache
def _templates() -> tuple[_Template, ...]:
    """Every message of the catalogue (both English forms of a plural), the most fixed text first."""
    found: list[_Template] = []
    for message in read_catalogue(SIMPLIFIED):  # every message id; the translations do not matter here
        if not message.id:
            continue
        forms: list[tuple[str, str | None, str]]
        if isinstance(message.id, tuple | list):
            singular, plural = str(message.id[0]), str(message.id[1])
            forms = [(singular, plural, singular), (singular, plural, plural)]
        else:
            forms = [(str(message.id), None, str(message.id))]
        for msgid, plural_id, form in forms:
            template = _template(msgid, form, plural_id)
            if template is not None:
                found.append(template)
    return tuple(sorted(found, key=lambda t: -t.weight))


def recognise(text: str, *, raw: Callable[[str], str] = str, depth: int = _DEPTH) -> Message | None:
    """The catalogue message whose English rendering is `text`, with its parameters read back, or None.

    Each parameter that is not itself a message or an amount is passed through `raw` (a cog makes text that
    someone else wrote inert there)."""
    for template in _templates():
        if not all(literal in text for literal in template.literals):
            continue
        match = template.pattern.fullmatch(text)
        if match is None:
            continue
        params = {name: _value(name, match[name], raw, depth) for name in template.names}
        return Message(template.msgid, template.plural, params)
    return None


def _value(name: str, value: str, raw: Callable[[str], str], depth: int) -> object:
    if _AMOUNT.fullmatch(value):
        return Amount(parse_amount(value.replace(",", "").replace("-$", "-")))
    if value.isdigit() and str(int(value)) == value:
        return int(value)
    if depth > 0 and (inner := recognise(value, raw=raw, depth=depth - 1)) is not None:
        return inner
    return raw(value)


def shown_text(stored: str, *, raw: Callable[[str], str] = str) -> Text:
    """Stored English (a ledger entry's reason, a failed job's error) as a message to render for its reader, or
    `raw(stored)` when it is no message of ours. A job's error may start with its exception's name
    (`"ServerError: ..."`): members read the message without it."""
    name = _ERROR_NAME.match(stored)
    found = recognise(stored[name.end() :], raw=raw) if name else None
    found = found or recognise(stored, raw=raw)
    return raw(stored) if found is None else found
