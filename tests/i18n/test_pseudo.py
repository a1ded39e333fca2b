"""Every message a converted module shows goes through the catalogue: rendered in a pseudo-locale (every catalogue
letter accented), no plain English word is left outside `code` spans and the values filled in."""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Awaitable, Callable, Iterator

import pytest
from PIL import Image

from bot import i18n
from bot.errors import UserFacingError
from bot.i18n import Localized, Message, placeholders
from bot.ideogram import errors as api_errors
from bot.images import check_announced, fit_for_upload, prepare_input, prepare_mask
from bot.money import parse_amount

PSEUDO = "qps-ploc"  # Windows' pseudo-locale name; Discord has no such locale, so nothing real collides
_ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "àƀçđéƒĝĥîĵķĺɱñöþǫŕšţûṽŵẋýžÀƁÇĐÉƑĜĤÎĴĶĹṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)
_KEEP = re.compile(r"(\{[^{}]*\}|`[^`]*`)")


def pseudo(template: str) -> str:
    """`The {option} is empty.` -> `⟦Ţĥé {option} îš éɱþţý.⟧`: placeholders and `code` spans kept."""
    parts = _KEEP.split(template)
    return "⟦" + "".join(part if _KEEP.fullmatch(part) else part.translate(_ACCENTED) for part in parts) + "⟧"


class PseudoTranslations(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return pseudo(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return pseudo(msgid1 if n == 1 else msgid2)


@pytest.fixture
def pseudo_locale(monkeypatch: pytest.MonkeyPatch) -> str:
    real = i18n.translations
    monkeypatch.setitem(i18n._DISCORD_LOCALES, PSEUDO, "pseudo")
    monkeypatch.setattr(i18n, "translations", lambda lang: PseudoTranslations() if lang == "pseudo" else real(lang))
    return PSEUDO


def filled_in(message: Message) -> Iterator[str]:
    """The values a message carries that are not text of ours (sizes, a provider's own words, numbers)."""
    for value in message.params.values():
        if isinstance(value, Message):
            yield from filled_in(value)
        elif not isinstance(value, Localized):
            yield str(value)


def english_left(message: Message, locale: str) -> list[str]:
    text = re.sub(r"`[^`]*`", "", message.render(locale))
    for value in sorted(filled_in(message), key=len, reverse=True):
        text = text.replace(value, "")
    return re.findall(r"[A-Za-z]{2,}", text)


def png(size: tuple[int, int], colour: int | tuple[int, ...] = (255, 255, 255), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def animated_png() -> bytes:
    buffer = io.BytesIO()
    frames = [Image.new("RGB", (8, 8), (i * 60, 0, 0)) for i in range(3)]
    frames[0].save(buffer, "PNG", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


async def refusal(action: Callable[[], Awaitable[object] | object]) -> UserFacingError:
    try:
        result = action()
        if isinstance(result, Awaitable):
            await result
    except UserFacingError as error:
        return error
    raise AssertionError("expected a refusal")


REFUSALS: dict[str, Callable[[], Awaitable[object] | object]] = {
    "not an amount": lambda: parse_amount("lots"),
    "too many decimals": lambda: parse_amount("0.0000001"),
    "announced GIF": lambda: check_announced(option="image", content_type="image/gif", size=10),
    "announced unknown type": lambda: check_announced(option="image", content_type="text/plain", size=10),
    "announced too big": lambda: check_announced(option="image", content_type=None, size=99, max_bytes=10),
    "empty file": lambda: prepare_input(b"", option="image"),
    "a GIF by content": lambda: prepare_input(b"GIF89a" + b"\0" * 32, option="style_reference"),
    "junk": lambda: prepare_input(b"\x01\x02junk" * 8, option="image"),
    "damaged PNG": lambda: prepare_input(png((64, 64))[:60], option="image"),
    "too many pixels": lambda: prepare_input(png((200, 200)), option="image", max_pixels=10_000),
    "too many megapixels": lambda: prepare_input(png((1200, 1000)), option="image", max_pixels=1_100_000),
    "all-white mask": lambda: prepare_mask(png((8, 8)), size=(8, 8)),
    "all-white inverted mask": lambda: prepare_mask(png((8, 8), 0), size=(8, 8), invert=True),
    "mask of another shape": lambda: prepare_mask(png((8, 4), 0), size=(8, 8)),
    "unreadable result": lambda: fit_for_upload(b"\x89PNG" + b"\0" * 64, limit_bytes=10, filename="1.png"),
}


@pytest.mark.parametrize("case", REFUSALS)
async def test_refusals_are_all_catalogue_text(case: str, pseudo_locale: str) -> None:
    error = await refusal(REFUSALS[case])
    assert isinstance(error.message, Message), f"{case}: {error.message!r} is not a catalogue message"
    assert english_left(error.message, pseudo_locale) == []
    assert error.render("zh-CN") != str(error), "translated in the catalogue"


ERRORS = [
    cls() for cls in vars(api_errors).values() if isinstance(cls, type) and issubclass(cls, api_errors.IdeogramError)
]


@pytest.mark.parametrize(
    "error", [*ERRORS, api_errors.BadRequest(provider_message="prompt too long (tid: 9f)")], ids=repr
)
def test_image_service_errors_are_all_catalogue_text(error: api_errors.IdeogramError, pseudo_locale: str) -> None:
    assert isinstance(error.message, Message)
    assert english_left(error.message, pseudo_locale) == []
    assert error.render("zh-TW") != str(error)


async def test_notes_about_adjusted_images_are_catalogue_text(pseudo_locale: str) -> None:
    prepared = await prepare_input(animated_png(), option="image")
    assert prepared.adjustments
    for note in prepared.adjustments:
        assert english_left(note, pseudo_locale) == []


def test_the_pseudo_locale_renders_every_catalogue_message(pseudo_locale: str) -> None:
    """Each template formats with its own placeholders in every language (a stray brace would raise here)."""
    for message in i18n.read_catalogue(i18n.SIMPLIFIED):
        if not message.id:
            continue
        msgid, plural = (message.id[0], message.id[1]) if isinstance(message.id, tuple | list) else (message.id, None)
        params: dict[str, object] = dict.fromkeys(placeholders(msgid), "X")
        lazy = Message(msgid, plural, {**params, "count": 2} if plural else params)
        for locale in (pseudo_locale, "zh-CN", "zh-TW", "en-US"):
            assert lazy.render(locale)
        assert english_left(lazy, pseudo_locale) == []
