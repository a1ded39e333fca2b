"""Blocked words: one normal form for storing and matching, so `ＣＡＴ`, `Cat` and `cat` are the same word."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable


def normalise(text: str) -> str:
    """NFKC (full-width and compatibility forms become plain ones), case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _pattern(word: str) -> re.Pattern[str]:
    # A Latin word must stand alone, plurals included ("cat" is in "cats", not in "concatenate"); scripts
    # without spaces between words (Chinese, Japanese) match anywhere.
    start = r"(?<![a-z0-9])" if word[:1].isascii() and word[:1].isalnum() else ""
    end = r"(?:e?s)?(?![a-z0-9])" if word[-1:].isascii() and word[-1:].isalnum() else ""
    return re.compile(start + re.escape(word) + end)


def blocked_word_in(text: str, words: Iterable[str]) -> str | None:
    """The first of `words` (already normalised) that `text` contains, or None."""
    normal = normalise(text)
    for word in words:
        if word and _pattern(word).search(normal):
            return word
    return None
