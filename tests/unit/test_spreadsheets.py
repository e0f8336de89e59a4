"""Spreadsheet cells: text a spreadsheet would run as a formula is neutralised, numbers are not."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from workshop import spreadsheets


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_a_spreadsheet_would_run_gets_a_leading_quote(text):
    assert spreadsheets.safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Awa D.", "a=b", " =1", "'=1", "", None, -3, -2.5, 0, True])
def test_other_values_stay_as_they_are(value):
    assert spreadsheets.safe_cell(value) is value


def test_csv_numbers_stay_numbers_and_text_is_neutralised():
    rows = [["nom", "heures"], ["-3", -3], ["=A1", -2.5], [date(2026, 1, 1), None]]
    for lang, delimiter, negative in (("fr", ";", "-2,5"), ("en", ",", "-2.5")):
        data = spreadsheets.csv_bytes(rows, lang, decimals=3)
        assert data.startswith("\ufeff".encode())
        text = data.decode("utf-8").removeprefix("\ufeff")
        read = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        assert read == [["nom", "heures"], ["'-3", "-3"], ["'=A1", negative], ["2026-01-01", ""]]


def test_safe_row():
    assert spreadsheets.safe_row(["=x", 1.5, "y"]) == ["'=x", 1.5, "y"]
