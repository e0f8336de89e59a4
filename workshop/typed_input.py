"""What people type, checked where the domain takes it: text fields and numbers.

Every text a user types goes through `text()` before the domain keeps it. Control
characters (C0, DEL, C1), lone surrogates and Unicode noncharacters (U+FFFE, U+FFFF…)
are refused: nobody types one on purpose (a paste or an attacker brings them), they
are invisible on the page, and a spreadsheet or a database cannot always hold them
(a U+0008 in a trainee's name broke the hour report's XLSX for everyone). Line breaks
are kept in multi-line fields only.

Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) are
taken out instead: a keyboard never makes them, but copying an Arabic or Hebrew name
from a messaging app often brings them along, the name reads the same without them
(the bidirectional algorithm orders it by its own letters), and whoever pasted it
could not see what to remove. Kept, U+202E showed a name reversed on the passport.

`printable()` makes text stored before these rules safe to write into a file.
"""

from __future__ import annotations

import math
import re

from workshop.errors import InvalidInput
from workshop.textfiles import parse_number

INVISIBLE = "error.text.invisible"

# U+FDD0–U+FDEF and the last two code points of each of the 17 planes.
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    chr(plane + 0xFFFE) + chr(plane + 0xFFFF) for plane in range(0, 0x110000, 0x10000)
)
# DEL and C1, surrogates, the line and paragraph separators, noncharacters.
_ALWAYS_REFUSED = "\x7f-\x9f\ud800-\udfff\u2028\u2029" + _NONCHARACTERS
_ONE_LINE = re.compile(f"[\x00-\x1f{_ALWAYS_REFUSED}]")
_MULTI_LINE = re.compile(f"[\x00-\x09\x0b\x0c\x0e-\x1f{_ALWAYS_REFUSED}]")  # \n and \r kept
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def text(typed: str, *, multiline: bool = False) -> str:
    """`typed` as the domain keeps it: trimmed, without bidirectional controls, line breaks
    as "\\n"; InvalidInput when it holds a control or other invisible character."""
    trimmed = typed.strip()
    if found := (_MULTI_LINE if multiline else _ONE_LINE).search(trimmed):
        # Where it is in the field as typed (from 1), so that it can be found and removed.
        position = len(typed) - len(typed.lstrip()) + found.start() + 1
        raise InvalidInput(INVISIBLE, code=f"U+{ord(found.group()):04X}", position=position)
    kept = _BIDI_CONTROLS.sub("", trimmed).strip()
    return kept.replace("\r\n", "\n").replace("\r", "\n") if multiline else kept


def printable(stored: str) -> str:
    """`stored` with every character `text` refuses in one line as U+FFFD and bidirectional
    controls taken out: text kept before these rules, safe to write into a file."""
    return _ONE_LINE.sub("\ufffd", _BIDI_CONTROLS.sub("", stored))


def is_number(value: object) -> bool:
    """True for a finite int or float: never a bool, NaN, an infinity or a text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, int) or math.isfinite(value)


def is_whole_number(value: object) -> bool:
    """True for an int: never a bool, nor a float such as 2.0 or NaN."""
    return isinstance(value, int) and not isinstance(value, bool)


NOT_A_NUMBER = "error.number.not_a_number"
NOT_WHOLE = "error.number.not_whole"
NEGATIVE = "error.number.negative"
TOO_MANY_DECIMALS = "error.number.too_many_decimals"
MAX_NUMBER_LENGTH = 40  # far more than any real figure; longer is pasted text


def number(typed: str, *, whole: bool = False, decimals: int | None = None) -> float | int | None:
    """A number as a person types it in a field: `6,5`, `6.5`, `1 234,5`, `-` or empty (None).

    The same reading as a spreadsheet cell (`textfiles.parse_number`): the comma and the
    point are both a decimal mark, spaces group thousands. `6,5,5`, `abc`, `6,5 kg` are
    refused with a message (never read as 655 or 65), as are negative numbers, a decimal
    in a count (`whole`), and more than `decimals` decimals."""
    cleaned = text(typed)
    shown = cleaned[:MAX_NUMBER_LENGTH]
    try:
        if len(cleaned) > MAX_NUMBER_LENGTH:
            raise ValueError(cleaned)
        value = parse_number(cleaned)
    except ValueError:
        raise InvalidInput(NOT_A_NUMBER, text=shown) from None
    if value is None:
        return None
    if value < 0:
        raise InvalidInput(NEGATIVE, text=shown)
    if whole:
        if not value.is_integer():
            raise InvalidInput(NOT_WHOLE, text=shown)
        return int(value)
    if decimals is not None and round(value, decimals) != value:
        raise InvalidInput(TOO_MANY_DECIMALS, text=shown, decimals=decimals)
    return value
