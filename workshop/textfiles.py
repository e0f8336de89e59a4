"""Reading the text files people export from spreadsheets (French Excel's habits included)."""

from __future__ import annotations

# What a file came in, in the order we try: UTF-8 (with or without Excel's BOM),
# then Windows-1252 (what French Excel writes as "CSV"), then Latin-1, which
# decodes any bytes at all.
CODECS = ("utf-8-sig", "cp1252", "latin-1")


def decode(data: bytes) -> tuple[str, str]:
    """The text of a spreadsheet export and the codec that read it (one of CODECS)."""
    for codec in CODECS[:-1]:
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return data.decode(CODECS[-1]), CODECS[-1]


# French Excel separates with ";" (the comma is its decimal mark); others with ",".
SEPARATORS = (";", ",", "\t")


def separator(text: str) -> str:
    """The column separator, counted on the header (the first line that is not blank)."""
    # The header only: data rows hold decimal commas ("12,5") that would outvote ";".
    header = next((line for line in text.splitlines() if line.strip()), "")
    best = max(SEPARATORS, key=header.count)
    return best if header.count(best) else ","
