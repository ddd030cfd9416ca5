"""The choices of the pages' locale picker (templates/_locale_picker.html): every two-letter
language of the IANA registry shipped with langcodes, the regional and script variants people
most often caption in, and any locale the page already has, each as its BCP 47 tag and the
name players label it with (``captions.locale_label``). The picker only suggests: any valid
tag may be typed, and the service that stores it decides (``captions.normalise_locale``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from mediaobjects.captions import locale_label
from mediaobjects.captions.locales import registered_languages

# Two-letter subtags the registry marks deprecated (their replacements are listed instead).
_DEPRECATED = frozenset({"in", "iw", "ji", "jw", "mo"})
_VARIANTS = (
    "ar-EG", "ar-SA", "de-AT", "de-CH", "de-DE", "en-AU", "en-CA", "en-GB", "en-IN", "en-NZ",
    "en-US", "es-419", "es-ES", "es-MX", "es-US", "fr-BE", "fr-CA", "fr-CH", "fr-FR", "it-CH",
    "nl-BE", "nl-NL", "pt-BR", "pt-PT", "sr-Cyrl", "sr-Latn", "zh-CN", "zh-HK", "zh-Hans",
    "zh-Hant", "zh-TW",
    # Languages with three-letter tags only, often captioned or signed.
    "ase", "bfi", "fil", "haw", "yue",
)  # fmt: skip


@dataclass(frozen=True)
class LocaleOption:
    tag: str
    name: str


@cache
def _common() -> tuple[LocaleOption, ...]:
    tags = [tag for tag in registered_languages(2) if tag not in _DEPRECATED]
    return tuple(LocaleOption(tag, locale_label(tag)) for tag in (*tags, *_VARIANTS))


def locale_options(extra: Iterable[str] = ()) -> list[LocaleOption]:
    """The picker's choices, ordered by name: the common ones and ``extra`` (locales the page
    shows, e.g. its tracks', so that each can be picked again)."""
    options = {option.tag.lower(): option for option in _common()}
    for tag in extra:
        options.setdefault(tag.lower(), LocaleOption(tag, locale_label(tag)))
    return sorted(options.values(), key=lambda option: (option.name.casefold(), option.tag))
