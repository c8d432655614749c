"""The words of a question version in a paper's language: which stem, option texts and explanation
a page shows for "zh" (Chinese), "en" (English) or "both" (Chinese with the English beside it on a
wide screen, beneath it on a phone). Whether a question can be set in English at all is decided
here too, once. Pure: no Flask, no database (a version is anything with stem, stem_en, options,
explanation and explanation_en).

Pages call the Jinja global `qtext(v, part, lang, key=None)` (part "stem", "option" or
"explanation"; `key` the option's key): the answer, review and practice partials of every question
type choose their text through it and take a `lang` parameter."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

LANGUAGES = ("zh", "en", "both")
PARTS = ("stem", "option", "explanation")


def _filled(text) -> bool:
    return isinstance(text, str) and bool(text.strip())


def has_english(stem_en, options) -> bool:
    """Whether a question can be set in English: an English stem and, where it has options, an
    English text for every option (a type without options has an empty list)."""
    return _filled(stem_en) and all(isinstance(o, dict) and _filled(o.get("text_en")) for o in options or ())


@dataclass(frozen=True)
class Wording:
    """A version's words in one language; a part without English falls back to the Chinese."""

    stem: str
    explanation: str
    options: dict[str, str]


def wording(version, lang: str = "zh") -> Wording:
    en = lang == "en"

    def pick(zh, english):
        return english if en and _filled(english) else (zh or "")

    return Wording(
        stem=pick(version.stem, version.stem_en),
        explanation=pick(version.explanation, version.explanation_en),
        options={o["key"]: pick(o.get("text"), o.get("text_en")) for o in version.options or ()},
    )


def _part(w: Wording, part: str, key) -> str:
    if part == "option":
        return w.options.get(key, "")
    return w.stem if part == "stem" else w.explanation


def qtext(version, part: str, lang: str = "zh", key=None) -> Markup:
    """One part of a version in `lang`, escaped. "both" gives the Chinese and the English in two
    spans of a `.bilingual` box (laid out by the stylesheet); a part with no English, only the
    Chinese. An unknown language reads as Chinese."""
    if part not in PARTS:
        raise ValueError(f"unknown part {part!r}")
    lang = str(lang)
    zh = _part(wording(version, "zh"), part, key)
    if lang not in ("en", "both"):
        return escape(zh)
    en = _part(wording(version, "en"), part, key)
    if lang == "en":
        return Markup('<span lang="en">{}</span>').format(en) if en != zh else escape(zh)
    if en == zh:
        return escape(zh)
    return Markup('<span class="bilingual"><span class="bilingual-zh" lang="zh-Hans">{}</span>'
                  '<span class="bilingual-en" lang="en">{}</span></span>').format(zh, en)
