"""Translations (French default, English) and locale-aware numbers and dates.

Catalogs are TOML files in `locales/<lang>/` (one file per area of the app, so
several people can add messages at once); keys are `section.name`, texts use
`{name}` placeholders. A key defined twice for a language is an error. A message with
a count `n` may have a singular, `key#one` ("1 cagette", and "0 cagette" in French).

Numbers and dates are formatted by Babel (CLDR data), so French gets
`1 234,5 kg` and `27 nov. 2026` without hand-written rules.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal
from babel.units import format_unit

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
_DIR = Path(__file__).resolve().parent / "locales"


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{full}."))
        else:
            out[full] = str(value)
    return out


@cache
def catalog(lang: str) -> dict[str, str]:
    """Every message of `lang`, by key."""
    messages: dict[str, str] = {}
    for path in sorted((_DIR / lang).glob("*.toml")):
        with open(path, "rb") as fh:
            part = _flatten(tomllib.load(fh))
        if twice := sorted(set(part) & set(messages)):
            raise ValueError(f"{path.name} defines again: {', '.join(twice)}")
        messages.update(part)
    return messages


def translate(key: str, lang: str = DEFAULT_LANGUAGE, **params: Any) -> str:
    """The message `key` in `lang` with `params` filled in (the key itself if missing)."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    text = catalog(lang).get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
    if isinstance(count := params.get("n"), int) and not isinstance(count, bool):
        # `key#one` is the singular: 0 and 1 in French ("0 cagette"), 1 in English (CLDR).
        text = catalog(lang).get(f"{key}#{plural_form(count, lang)}", text)
    if not params:
        return text
    # Numbers and dates in messages follow the language too (`2 500`, `1,5 kg`, `27 nov. 2026`).
    shown = {name: _localised(value, lang) for name, value in params.items()}
    try:
        return text.format(**shown)
    except (KeyError, IndexError, ValueError):
        return text


def plural_form(count: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """CLDR's plural category of `count` in `lang`: "one" or "other" (or "many")."""
    return str(Locale.parse(_LOCALES.get(lang, "fr_FR")).plural_form(abs(count)))


def _localised(value: Any, lang: str) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return fmt_date(value, lang)
    if isinstance(value, time):
        return fmt_time(value, lang)
    if isinstance(value, timedelta):
        return fmt_duration(round(value.total_seconds() / 60), lang)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    decimals = 0 if float(value).is_integer() else 1
    return fmt_number(value, lang, decimals)


def fmt_number(value: float | int, lang: str = DEFAULT_LANGUAGE, decimals: int = 0) -> str:
    """`1 234,5` in French, `1,234.5` in English."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_LOCALES.get(lang, "fr_FR"))


def fmt_field(value: float | int, lang: str = DEFAULT_LANGUAGE, decimals: int | None = None) -> str:
    """A number as a field shows it: `decimals` fixed (`1,20`), or up to 3 when None."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "" if decimals == 0 else ".###")
    return format_decimal(value, format=pattern, locale=_LOCALES.get(lang, "fr_FR"))


def fmt_kg(value: float, lang: str = DEFAULT_LANGUAGE) -> str:
    """Kilograms with one decimal below 100 kg, whole kilos above."""
    decimals = 1 if abs(value) < 100 else 0
    return f"{fmt_number(value, lang, decimals)}\u00a0kg"


def fmt_date(value: date, lang: str = DEFAULT_LANGUAGE) -> str:
    """`27 nov. 2026` in French, `27 Nov 2026` in English."""
    return format_date(value, format="medium", locale=_LOCALES.get(lang, "fr_FR"))


def fmt_datetime(value: datetime, lang: str = DEFAULT_LANGUAGE) -> str:
    """Date and time to the minute."""
    return format_datetime(value, format="d MMM y HH:mm", locale=_LOCALES.get(lang, "fr_FR"))


def fmt_time(value: time | datetime, lang: str = DEFAULT_LANGUAGE) -> str:
    """A time of day as people say it: `9 h 05` in French, `09:05` in English."""
    pattern = "H' h 'mm" if lang == "fr" else "HH:mm"
    return format_time(value, format=pattern, locale=_LOCALES.get(lang, "fr_FR"))


def fmt_duration(minutes: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """`3 h 15 min` in French, `3 hrs 15 mins` in English (CLDR's short unit names)."""
    hours, rest = divmod(int(minutes), 60)
    locale = _LOCALES.get(lang, "fr_FR")
    parts = (
        [format_unit(hours, "duration-hour", "short", locale=locale)] if hours or not rest else []
    )
    if rest:
        parts.append(format_unit(rest, "duration-minute", "short", locale=locale))
    return "\u00a0".join(parts)


def fmt_month(value: date, lang: str = DEFAULT_LANGUAGE) -> str:
    """`nov. 2026` in French, `Nov 2026` in English."""
    return format_date(value, format="MMM y", locale=_LOCALES.get(lang, "fr_FR"))


def date_input_format(lang: str) -> str:
    """The format string st.date_input understands for this language."""
    return "DD/MM/YYYY"
