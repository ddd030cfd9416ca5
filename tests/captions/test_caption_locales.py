"""Track locales (D9): every well-formed BCP 47 tag is accepted in canonical case; anything
else is refused with a message a user can act on; labels name the language for track menus."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediaobjects.captions import LocaleError, locale_label, normalise_locale


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("en-US", "en-US"),
        ("en-us", "en-US"),
        ("fr-CA", "fr-CA"),
        ("es-419", "es-419"),
        ("zh-Hans", "zh-Hans"),
        ("zh-Hant-TW", "zh-Hant-TW"),
        ("ZH-hant-tw", "zh-Hant-TW"),
        ("sr-latn-rs", "sr-Latn-RS"),
        ("de-CH-1901", "de-CH-1901"),
        ("zh-yue-HK", "zh-yue-HK"),
        ("en-US-u-ca-gregory", "en-US-u-ca-gregory"),
        ("EN-a-BB-X-Private", "en-a-bb-x-private"),
        ("x-klingon", "x-klingon"),
        ("I-KLINGON", "i-klingon"),
        ("sgn-be-fr", "sgn-BE-FR"),
        ("mis", "mis"),
        ("qaa", "qaa"),
        # Aliases are kept: only the case is canonicalised.
        ("iw", "iw"),
        ("in", "in"),
    ],
)
def test_well_formed_tags_are_accepted_in_canonical_case(value: str, canonical: str) -> None:
    assert normalise_locale(value) == canonical


def test_case_insensitive_comparison_through_normalisation() -> None:
    assert normalise_locale("EN") == normalise_locale("en")
    assert normalise_locale("pt-br") == normalise_locale("PT-BR") == "pt-BR"


@pytest.mark.parametrize(
    ("value", "suggestion"),
    [
        ("pt_BR", "pt-BR"),
        ("zh_hant_tw", "zh-Hant-TW"),
        ("en_us", "en-US"),
        (" en ", "en"),
        ("en\n", "en"),
    ],
)
def test_near_misses_get_a_suggestion(value: str, suggestion: str) -> None:
    with pytest.raises(LocaleError) as caught:
        normalise_locale(value)
    assert caught.value.suggestion == suggestion
    assert caught.value.message == f'is invalid; did you mean "{suggestion}"?'


@pytest.mark.parametrize(
    "value",
    [
        "",
        "5",
        "e1",
        "12",
        "-",
        "en-",
        "-en",
        "en--US",
        "english",
        "en-US-US",
        "zh-TW-Hant",
        "x",
        "en-x",
        '<img src="lolcats.gif">',
        "<img src=x>",
        "fr-ÇA",
        "٣٣",
    ],
)
def test_malformed_tags_are_invalid(value: str) -> None:
    with pytest.raises(LocaleError) as caught:
        normalise_locale(value)
    assert caught.value.suggestion is None
    assert caught.value.message == (
        'is invalid: expected a language tag such as "en", "fr-CA" or "es-419"'
    )


def test_overlong_tag_is_invalid() -> None:
    value = "en-" + "-".join(["abcdefgh"] * 4)  # 38 characters, well-formed otherwise
    with pytest.raises(LocaleError) as caught:
        normalise_locale(value)
    assert str(caught.value) == "is invalid: a language tag must not be longer than 35 characters"


def test_locale_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        normalise_locale("pt_BR")


@pytest.mark.parametrize(
    ("locale", "label"),
    [
        ("en", "English"),
        ("en-US", "English (United States)"),
        ("es-419", "Spanish (Latin America)"),
        ("fr-CA", "French (Canada)"),
        ("pt-BR", "Portuguese (Brazil)"),
        ("zh-Hant-TW", "Chinese (Traditional, Taiwan)"),
        ("zh-Hans", "Chinese (Simplified)"),
        ("sr-Latn-RS", "Serbian (Latin, Serbia)"),
        ("ko-KR", "Korean (South Korea)"),
        ("el", "Greek"),
        ("sw", "Swahili"),
        ("iw", "Hebrew"),
        ("i-klingon", "Klingon"),
        ("EN-gb", "English (United Kingdom)"),
        ("zh_CN", "Chinese (China)"),  # legacy data that fails validation today
        ("x-custom", "x-custom"),
        ("qaa", "qaa"),
        ("not a locale", "not a locale"),
    ],
)
def test_labels(locale: str, label: str) -> None:
    assert locale_label(locale) == label


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.lists(
            st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", max_size=9),
            min_size=1,
            max_size=6,
        ).map("-".join),
    )
)
def test_any_text_is_normalised_or_refused_with_locale_error(value: str) -> None:
    try:
        canonical = normalise_locale(value)
    except LocaleError as error:
        assert error.message.startswith("is invalid")
    else:
        assert canonical.lower() == value.lower()
        assert normalise_locale(canonical) == canonical
    assert isinstance(locale_label(value), str)
