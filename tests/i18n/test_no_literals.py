"""A second net under the pseudo-locale test: no English sentence is written as a plain literal anywhere in `bot/`
or `cogs/`. Text for people goes through `_()`/`_n()` (or `N_()` where discord.py translates it); docstrings, log
lines and programmer errors stay English.

Every Python file is checked except those in `ENGLISH_BY_DESIGN` (what only the operator reads, and the ledger's
SQL and stored reasons), each with its reason. A new file is checked from the start.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


# English on purpose: what only the operator reads (logs, the command line, configuration errors) and what the
# ledger stores (entry reasons, SQL). A path ending in "/" is a whole package.
ENGLISH_BY_DESIGN = (
    "bot/__main__.py",  # the command line
    "bot/app.py",  # configuration errors at start-up
    "bot/check.py",  # --check-config's report
    "bot/config.py",  # configuration errors
    "bot/health.py",  # the healthcheck command
    "bot/startup.py",  # start-up failures, for the operator
    "bot/usage.py",  # the operator's usage report
    "bot/migrate.py",  # python -m bot migrate-ledger, for the operator
    "bot/pricing.py",  # programmer errors
    "bot/ledger/",  # SQL, migrations and the reasons stored with entries (its errors.py is checked: members read it)
)
ALWAYS_CHECKED = ("bot/ledger/errors.py",)


def checked_files() -> list[str]:
    paths = sorted(str(path.relative_to(ROOT)) for folder in ("bot", "cogs") for path in (ROOT / folder).rglob("*.py"))
    return [
        path
        for path in paths
        if path in ALWAYS_CHECKED
        or not any(path == e or (e.endswith("/") and path.startswith(e)) for e in ENGLISH_BY_DESIGN)
    ]


_CATALOGUE_CALLS = frozenset({"_", "_n", "N_"})
# discord.py hands these to the command tree's Translator (cogs/translator.py), and the option catalogue's
# entries become the tree's descriptions; tests/i18n/test_catalogue.py checks every string of the synced tree
# has its translations.
_TREE_CALLS = frozenset(
    {"describe", "command", "Group", "context_menu", "Choice", "rename", "OptionSpec", "CommandSpec"}
)
_LOG_METHODS = frozenset({"debug", "info", "warning", "error", "exception", "critical", "log"})
# Exceptions for programmers and logs, never shown to a member (those derive from UserFacingError).
_INTERNAL_ERRORS = frozenset(
    {
        "TypeError",
        "ValueError",
        "KeyError",
        "RuntimeError",
        "AssertionError",
        "NotImplementedError",
        "LookupError",
        "UnreadableStructure",
    }
)
# Three words in a row, the middle one a lowercase word of 3+ letters: "Try again later", not "PNG", "%s (%s)",
# "/x by x" or a regex.
_SENTENCE = re.compile(r"[A-Za-z][a-z']*[ ,;:]+[a-z']{3,}[ ,;:]+[A-Za-z][a-z']*")


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


class _Finder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []

    def visit_Expr(self, node: ast.Expr) -> None:
        if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):  # docstrings
            self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        is_log = isinstance(node.func, ast.Attribute) and name in _LOG_METHODS
        if name in _CATALOGUE_CALLS or name in _TREE_CALLS or name in _INTERNAL_ERRORS or is_log:
            return
        # What the image service said (or what happened on the wire): kept for the log, never shown as ours.
        # `context=` says where a failure happened, for the log line.
        node.keywords = [keyword for keyword in node.keywords if keyword.arg not in ("provider_message", "context")]
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        # `class Budget(GroupCog, name=..., description=...)`: the group's description goes to the Translator.
        node.keywords = [keyword for keyword in node.keywords if keyword.arg not in ("name", "description")]
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        # `Literal["not a remix emoji", ...]`: values a program compares, not text anyone reads.
        if _name(node.value) != "Literal":
            self.generic_visit(node)

    def visit_Assert(self, node: ast.Assert) -> None:
        self.visit(node.test)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and _SENTENCE.search(node.value):
            self.found.append((node.lineno, node.value))

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        # An f-string reads as its text with each value as a word: f"You have {n} jobs" -> "You have x jobs".
        text = "".join(part.value if isinstance(part, ast.Constant) else "x" for part in node.values)
        if _SENTENCE.search(text):
            self.found.append((node.lineno, text))


def plain_sentences(source: str) -> list[tuple[int, str]]:
    """(line, text) of string literals that read as English sentences and bypass the catalogue.

    A literal under a `# not translated: <why>` comment is let through (text that is not ours to translate).
    """
    lines = source.splitlines()
    finder = _Finder()
    finder.visit(ast.parse(source))
    return [(line, text) for line, text in finder.found if not _excused(lines, line)]


def _excused(lines: list[str], line: int) -> bool:
    """A `# not translated:` comment just above the literal, or above the statement it opens (`X = (`)."""
    for above in range(line - 2, max(line - 5, -1), -1):
        text = lines[above].strip()
        if text.startswith("# not translated:"):
            return True
        if not text.endswith(("(", "[", "{")):
            return False
    return False


def test_the_exceptions_name_real_files() -> None:
    assert [path for path in (*ENGLISH_BY_DESIGN, *ALWAYS_CHECKED) if not (ROOT / path).exists()] == []
    assert "cogs/budget.py" in checked_files()
    assert "bot/ledger/errors.py" in checked_files()
    assert "bot/ledger/sql.py" not in checked_files()


@pytest.mark.parametrize("path", checked_files())
def test_no_plain_english_sentences(path: str) -> None:
    found = plain_sentences((ROOT / path).read_text(encoding="utf-8"))
    assert found == [], f"{path}: wrap these in _() (bot.i18n) and add them to the catalogue: {found}"


def test_the_net_catches_a_plain_reply_and_lets_the_rest_through() -> None:
    source = '''
"""Module docstring: says what this is about."""
log.info("job %s finished after the retry", job)
raise TypeError("expected a single band image here")
assert x, "a plural message needs a count"
ok = _("You have {count} jobs running.", count=n)
plain = f"You have {count} jobs running."
await interaction.response.send_message("That result is no longer known to the bot.")
# not translated: the provider's own words
detail = "non-JSON reply from the gateway"
'''
    assert [line for line, _text in plain_sentences(source)] == [7, 8]
