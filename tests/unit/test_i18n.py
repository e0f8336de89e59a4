"""Translations and French/English number and date formats."""

from __future__ import annotations

from datetime import date

from workshop import i18n


def test_french_numbers_and_dates():
    assert i18n.fmt_number(1234.5, "fr", 1) == "1\u202f234,5"
    assert i18n.fmt_kg(1234.5, "fr") == "1\u202f234\u00a0kg"
    assert i18n.fmt_kg(12.34, "fr") == "12,3\u00a0kg"
    assert i18n.fmt_date(date(2026, 11, 27), "fr") == "27 nov. 2026"
    assert i18n.fmt_month(date(2026, 3, 1), "fr") == "mars 2026"


def test_english_numbers_and_dates():
    assert i18n.fmt_number(1234.5, "en", 1) == "1,234.5"
    assert i18n.fmt_date(date(2026, 11, 27), "en") == "27 Nov 2026"


def test_translate_fills_parameters_and_falls_back():
    assert i18n.translate("pickups.saved", "fr", code="L-X", crates=3) == (
        "Collecte L-X enregistrée : 3 cagettes."
    )
    assert (
        i18n.translate("pickups.saved", "en", code="L-X", crates=3) == "Pickup L-X saved: 3 crates."
    )
    assert i18n.translate("no.such.key", "en") == "no.such.key"
    assert i18n.translate("common.yes", "de") == "oui"  # unknown language → French
    # A missing parameter never crashes a page.
    assert "{code}" in i18n.translate("pickups.saved", "fr")


def test_numbers_in_messages_follow_the_language():
    assert i18n.translate("error.pickup.too_many", "fr", total=2500, max=2000).startswith(
        "2\u202f500 cagettes"
    )
    assert "2,000 at most" in i18n.translate("error.pickup.too_many", "en", total=2500, max=2000)
    assert "30 kg" in i18n.translate("error.pickup.sample_too_heavy", "fr", max=30.0)


def test_dates_in_messages_follow_the_language():
    assert "3 févr. 2026" in i18n.translate("error.hours.week_locked", "fr", week=date(2026, 2, 3))
    assert "3 Feb 2026" in i18n.translate("error.hours.week_locked", "en", week=date(2026, 2, 3))


def test_a_count_takes_the_singular_where_the_language_does():
    key = "builds.crates_count"
    assert i18n.translate(key, "fr", n=1, needed=8) == "1 cagette sur 8"
    assert i18n.translate(key, "fr", n=0, needed=8) == "0 cagette sur 8"  # French: 0 is singular
    assert i18n.translate(key, "fr", n=10, needed=8) == "10 cagettes sur 8"
    assert i18n.translate(key, "en", n=1, needed=8) == "1 crate out of 8"
    assert i18n.translate(key, "en", n=0, needed=8) == "0 crates out of 8"
