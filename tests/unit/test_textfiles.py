"""Reading spreadsheet exports: the codec, and the separator both imports share."""

from __future__ import annotations

import pytest

from workshop import textfiles


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # French Excel: ";" between columns, "," as the decimal mark in every row.
        ("Marché;Date;Kilos\nBelleville;03/11/2026;12,5\nDavout;04/11/2026;1,25\n", ";"),
        ("market,date,kg\nBelleville,2026-11-03,12.5\n", ","),
        ("market\tdate\tkg\nBelleville\t2026-11-03\t12.5\n", "\t"),
        # Blank lines before the header are skipped; a single column reads as ",".
        ("\n\n  \nMarché;Kilos\nBelleville;3,5\n", ";"),
        ("Kilos\n12\n", ","),
        ("", ","),
        # Data rows full of decimal commas do not outvote the header's ";".
        ("Marché;Kilos\n" + "a;1,1,1,1,1\n" * 50, ";"),
    ],
)
def test_separator_is_counted_on_the_header(text, expected):
    assert textfiles.separator(text) == expected


def test_decode_tries_utf8_then_windows_1252():
    assert textfiles.decode("Marché".encode()) == ("Marché", "utf-8-sig")
    assert textfiles.decode("\ufeffMarché".encode()) == ("Marché", "utf-8-sig")
    assert textfiles.decode("Marché €".encode("cp1252")) == ("Marché €", "cp1252")
