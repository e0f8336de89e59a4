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
