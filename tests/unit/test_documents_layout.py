"""The page every document shares: slugs, numbers, real text, tables over pages, bars."""

from __future__ import annotations

from datetime import date

from tests import factories
from workshop.documents import layout


def test_slug_is_plain_ascii_words() -> None:
    assert (
        layout.slug("Marché Belleville — côté Ménilmontant")
        == "marche-belleville-cote-menilmontant"
    )
    assert layout.slug("«»") == ""


def test_number_changes_with_the_figures_and_only_with_them() -> None:
    first = layout.number("ATT", "2026", "Marché Davout", 12.5)
    assert first.startswith("ATT-2026-") and len(first) == len("ATT-2026-") + 6
    assert layout.number("ATT", "2026", "Marché Davout", 12.5) == first
    assert layout.number("ATT", "2026", "Marché Davout", 12.6) != first


def test_a_long_table_goes_on_over_pages_with_its_header_and_footer() -> None:
    doc = layout.Document("fr", title="Essai", doc_number="TST-1", made=date(2026, 3, 2))
    doc.heading("Un titre", "Un sous-titre")
    doc.table(
        ["Marché", "Kilos"],
        [[f"Marché n° {i}", f"{i},5"] for i in range(120)],
        [70, 30],
        total=True,
    )
    doc.bars([("Meubles", 3.0, "3 kg", True), ("Stock", 0.0, "0 kg", False)])
    doc.columns([("janv.", 1.0, "1", False), ("févr.", 2.0, "2", True)])
    pdf = doc.output()
    pages = factories.pdf_pages(pdf)
    assert pages >= 3
    text = factories.pdf_text(pdf)
    assert text.count("Kilos") == pages  # the header on every page
    assert "Marché n° 0 " in text and "Marché n° 119 " in text
    assert f"TST-1 · établi le 2 mars 2026 · page {pages} sur {pages}" in text
    assert all(factories.pdf_fonts(pdf).values())


def test_english_document_says_so_in_its_footer() -> None:
    doc = layout.Document("en", title="Test", doc_number="TST-2", made=date(2026, 3, 2))
    doc.text("Hello")
    assert "TST-2 · issued on 2 Mar 2026 · page 1 of 1" in factories.pdf_text(doc.output())


def test_a_name_outside_the_latin_fonts_is_written_with_the_full_fonts() -> None:
    latin = layout.Document("fr", title="Essai", doc_number="TST-3", made=date(2026, 3, 2))
    latin.text("Marché Davout · 1\u202f234,5\u00a0kg · ± 3 × 4 € « ok » œ")
    plain = latin.output()
    # The Latin regular alone (the footer's too): no fallback needed.
    assert [name.split("+")[1] for name in factories.pdf_fonts(plain)] == ["DejaVuSansBook"]
    doc = layout.Document("fr", title="Essai", doc_number="TST-4", made=date(2026, 3, 2))
    doc.text("Marché de Belleville · سوق بلفيل · Рынок")
    pdf = doc.output()
    assert "سوق" in factories.pdf_text(pdf) or "قوس" in factories.pdf_text(pdf)
    assert "Рынок" in factories.pdf_text(pdf)
    fonts = factories.pdf_fonts(pdf)
    assert len(fonts) == 2 and all(fonts.values())
