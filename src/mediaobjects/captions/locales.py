"""Track locales (decision D9): validating BCP 47 language tags with ``langcodes``, writing
them in canonical case, and naming them for player track labels.

Only the letter case is canonicalised. Deprecated or alias subtags are kept as written
(``iw`` stays ``iw``, not ``he``): replacing them would change a locale a client sent and
stored data imported from Canvas, and would make two different stored tags compare equal.
"""

from __future__ import annotations

import functools
from importlib import resources

from langcodes import Language
from langcodes.tag_parser import LanguageTagError

from .errors import LocaleError

# RFC 5646 §4.4.1 asks implementations to handle tags of at least 35 characters; nothing a
# caption track needs is longer.
MAX_LOCALE_LENGTH = 35

_ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
_EXAMPLES = '"en", "fr-CA" or "es-419"'

# Labels come from the IANA registry descriptions shipped with langcodes, because its
# CLDR display names need the separate language_data package. These are the CLDR names for
# common subtags whose registry description reads oddly on a player menu.
_LANGUAGE_NAMES = {
    "el": "Greek",
    "ht": "Haitian Creole",
    "ky": "Kyrgyz",
    "pa": "Punjabi",
    "ps": "Pashto",
    "ug": "Uyghur",
    "yue": "Cantonese",
}
_SCRIPT_NAMES = {"Hans": "Simplified", "Hant": "Traditional"}
_REGION_NAMES = {
    "419": "Latin America",
    "CD": "Congo - Kinshasa",
    "CG": "Congo - Brazzaville",
    "IR": "Iran",
    "KP": "North Korea",
    "KR": "South Korea",
    "LA": "Laos",
    "PS": "Palestinian Territories",
    "RU": "Russia",
    "SY": "Syria",
    "TW": "Taiwan",
    "TZ": "Tanzania",
    "VN": "Vietnam",
}


def normalise_locale(value: str) -> str:
    """Return ``value`` in canonical BCP 47 case (``en-us`` → ``en-US``, ``ZH-hant-tw`` →
    ``zh-Hant-TW``), or raise LocaleError when it is not a well-formed language tag."""
    if len(value) > MAX_LOCALE_LENGTH:
        raise LocaleError(
            f"is invalid: a language tag must not be longer than {MAX_LOCALE_LENGTH} characters"
        )
    canonical = _canonical_or_none(value)
    if canonical is not None:
        return canonical
    suggestion = _canonical_or_none(value.strip().replace("_", "-"))
    if suggestion is not None:
        raise LocaleError(f'is invalid; did you mean "{suggestion}"?', suggestion=suggestion)
    # The value itself is left out of the message: it may be markup (`<img src=x>`).
    raise LocaleError(f"is invalid: expected a language tag such as {_EXAMPLES}")


def locale_label(locale: str) -> str:
    """A human name for a track menu: ``en`` → "English", ``es-419`` → "Spanish (Latin
    America)", ``zh-Hant-TW`` → "Chinese (Traditional, Taiwan)".

    Never raises: legacy tracks may hold tags that fail validation today (``zh_CN``), and a
    player page must still label them, so a tag that cannot be read is returned unchanged.
    """
    canonical = _canonical_or_none(locale.strip().replace("_", "-"))
    if canonical is None:
        return locale
    registry = _registry()
    grandfathered = registry.get(("tag", canonical.lower()))
    if grandfathered is not None:
        return grandfathered
    primary = canonical.split("-")[0]
    if len(primary) == 1:  # private use ("x-...") or an irregular tag the registry lacks
        return canonical
    language = Language.get(canonical, normalize=False)
    # langcodes reads "und" as no language at all; the registry calls it "Undetermined".
    code = language.extlangs[0] if language.extlangs else primary
    name = _LANGUAGE_NAMES.get(code) or _language_description(registry, code)
    details: list[str] = []
    if language.script:
        details.append(_name(registry, "script", language.script, _SCRIPT_NAMES))
    if language.territory:
        details.append(_name(registry, "region", language.territory, _REGION_NAMES))
    for variant in language.variants or ():
        details.append(registry.get(("variant", variant.lower()), variant))
    return f"{name} ({', '.join(details)})" if details else name


def _canonical_or_none(value: str) -> str | None:
    if not value or len(value) > MAX_LOCALE_LENGTH or not set(value) <= _ALLOWED:
        return None
    try:
        Language.get(value, normalize=False)
    except LanguageTagError:
        return None
    subtags = value.split("-")
    # langcodes lets digits into the primary language subtag ("12", "e1"); BCP 47 does not.
    if not subtags[0].isalpha():
        return None
    return "-".join(_canonical_case(subtags))


def _canonical_case(subtags: list[str]) -> list[str]:
    """RFC 5646 §2.1.1: language and everything after a singleton lower case, two-letter
    regions upper case, four-letter scripts title case."""
    result = [subtags[0].lower()]
    after_singleton = len(subtags[0]) == 1  # "x-..." and "i-..." tags
    for subtag in subtags[1:]:
        if after_singleton or len(subtag) == 1:
            after_singleton = True
            result.append(subtag.lower())
        elif len(subtag) == 2:
            result.append(subtag.upper())
        elif len(subtag) == 4 and subtag.isalpha():
            result.append(subtag.title())
        else:
            result.append(subtag.lower())
    return result


def _language_description(registry: dict[tuple[str, str], str], code: str) -> str:
    description = registry.get(("language", code.lower())) or registry.get(
        ("extlang", code.lower())
    )
    if description is None:
        return code
    # "Swahili (macrolanguage)", "Occitan (post 1500)": the qualifier means nothing to viewers.
    if description.endswith(")") and " (" in description:
        description = description[: description.rindex(" (")]
    return description


def _name(
    registry: dict[tuple[str, str], str], kind: str, subtag: str, overrides: dict[str, str]
) -> str:
    return overrides.get(subtag) or registry.get((kind, subtag.lower()), subtag)


@functools.cache
def _registry() -> dict[tuple[str, str], str]:
    """(type, lower-case subtag or tag) -> first Description, read once from langcodes' copy of
    the IANA language subtag registry (only when a label is first needed)."""
    path = resources.files("langcodes").joinpath("data", "language-subtag-registry.txt")
    entries: dict[tuple[str, str], str] = {}
    for record in path.read_text(encoding="utf-8").split("\n%%\n"):
        fields: dict[str, str] = {}
        for line in record.replace("\n  ", " ").split("\n"):
            key, _, value = line.partition(": ")
            fields.setdefault(key, value)
        kind = fields.get("Type")
        key_value = fields.get("Subtag") or fields.get("Tag")
        description = fields.get("Description")
        if kind is None or key_value is None or description is None or ".." in key_value:
            continue
        if kind == "redundant":
            # Descriptions of whole tags such as es-419 ("Latin American Spanish") would not
            # match the "Language (Region)" labels built for every other tag.
            continue
        if kind == "grandfathered":
            kind = "tag"
        entries.setdefault((kind, key_value.lower()), description)
    return entries


def registered_languages(max_length: int = 3) -> list[str]:
    """The primary language subtags of the IANA registry (shipped with langcodes) of at most
    ``max_length`` letters, as written there (lower case), in registry order: the choices a
    locale picker can offer (any other valid tag is still accepted by ``normalise_locale``)."""
    return [
        subtag
        for kind, subtag in _registry()
        if kind == "language" and len(subtag) <= max_length and subtag.isalpha()
    ]


def preferred_locale(accept_language: str | None, locales: list[str]) -> str | None:
    """The track locale that best matches the viewer's Accept-Language (exact tag first, then
    the same language), or None when nothing matches."""
    if not locales:
        return None
    wanted: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        if not tag or tag == "*":
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        wanted.append((quality, tag.lower()))
    wanted.sort(key=lambda item: -item[0])
    lowered = {locale.lower(): locale for locale in locales}
    for _, tag in wanted:
        if tag in lowered:
            return lowered[tag]
        base = tag.split("-")[0]
        for candidate_lower, candidate in lowered.items():
            if candidate_lower.split("-")[0] == base:
                return candidate
    return None
