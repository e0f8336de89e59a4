"""Tag codes: mint, check, print and parse the codes on crates, lots, builds and badges.

A code is a kind letter, 5 random characters and 1 check character, stored as
``C4K7XR9`` and printed as ``C-4K7XR-9`` (DESIGN §3).

Alphabet
    The 10 digits and the 17 upper-case letters left once we drop those that are
    misread (``I L O U``, as in Crockford's base32) and those a French AZERTY
    keyboard swaps or moves relative to a US one (``A Q W Z M``): 27 characters.
    Kind letters (``C L M B``) sit outside the payload; ``L`` and ``M`` are not in
    the alphabet at all, which is fine because the first position only ever holds
    a kind letter.

Check character
    Luhn mod N with N = 27, computed over the kind letter *and* the payload, so a
    mistyped kind letter is caught too. The kind letter enters the sum as a fixed
    value (its rank in the Latin alphabet: B=2, C=3, L=12, M=13 — never change it,
    or every printed label becomes invalid). Because 27 is odd we use the "odd
    variation" of Luhn mod N: a doubled value is reduced mod N instead of being
    folded as ``q + r`` (the classic fold maps v and v+13 to the same value when N
    is odd, which would let some substitutions through). With weights 1 and 2, both
    invertible mod 27, every single-character substitution changes the sum, and an
    adjacent transposition ``ab -> ba`` changes it by ``±(a - b)``, never 0 mod 27:
    all of them are caught, including those involving the kind or check character.

US scanner on an AZERTY computer
    A USB scanner sends key positions, not characters. Set up for a US layout and
    plugged into a French AZERTY computer, it "types" the character the French
    layout has on the key where the US layout has the wanted one. ``US_TO_AZERTY``
    below is that table (French AZERTY as shipped by Windows and Linux ``fr``),
    for every character that can appear in our URLs and codes:

    ============================  ================================================
    US (unshifted / shifted)      AZERTY gives (unshifted / shifted)
    ============================  ================================================
    ``1 2 3 4 5 6 7 8 9 0``       ``& é " ' ( - è _ ç à``
    ``! @ # $ % ^ & * ( )``       ``1 2 3 4 5 6 7 8 9 0``
    ``-`` / ``_``                 ``)`` / ``°``
    ``=`` / ``+``                 ``=`` / ``+``
    ``a q z w`` / ``A Q Z W``     ``q a w z`` / ``Q A W Z`` (swapped letters)
    ``m`` / ``M``                 ``,`` / ``?`` (US M key is AZERTY's comma key)
    ``;`` / ``:``                 ``m`` / ``M`` (AZERTY's M sits at US ``;``)
    ``'`` / ``"``                 ``ù`` / ``%``
    ``,`` / ``<``                 ``;`` / ``.``
    ``.`` / ``>``                 ``:`` / ``/``
    ``/`` / ``?``                 ``!`` / ``§``
    ``]`` / ``}``                 ``$`` / ``£``
    ``\\`` / ``|``                ``*`` / ``µ``
    other letters, space          unchanged
    ============================  ================================================

    So ``http://localhost:8501/?code=C4K7XR9`` arrives as
    ``httpM!!locqlhostM_(à&!§code=C'KèXRç``. ``parse`` reads a text both as typed
    and mapped back through this table, and accepts it only if the readings that
    give a valid code all give the same one. A code never reads as another code
    this way: mapping back turns every digit into a symbol and leaves the payload
    letters alone, so the second reading is either invalid or the same code.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final
from urllib.parse import unquote, urlsplit

from workshop import config
from workshop.errors import InvalidCode, InvalidInput, WrongCodeKind

ALPHABET: Final = "0123456789BCDEFGHJKNPRSTVXY"
N: Final = len(ALPHABET)  # 27
PAYLOAD_LENGTH: Final = 5
CODE_LENGTH: Final = 1 + PAYLOAD_LENGTH + 1  # kind + payload + check = 7

CRATE: Final = "C"
LOT: Final = "L"
BUILD: Final = "M"
BADGE: Final = "B"

#: Kind letter -> what it tags.
KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {CRATE: "crate", LOT: "lot", BUILD: "build", BADGE: "badge"}
)

# Fixed forever: printed labels depend on these values (rank in the Latin alphabet).
_KIND_VALUE: Final = {kind: ord(kind) - ord("A") + 1 for kind in KINDS}
_VALUE: Final = {ch: i for i, ch in enumerate(ALPHABET)}

# Characters people and OCR confuse; only applied after the kind letter, where a
# letter of the alphabet can never be meant by them.
_CONFUSABLES: Final = {"O": "0", "I": "1", "L": "1"}

# Ignored between the characters of a bare code.
_SEPARATORS: Final = frozenset(" \t-._/")

# Longer than any URL we print by far; stops us scanning megabytes pasted by mistake.
_MAX_INPUT: Final = 2048

_US_TO_AZERTY_PAIRS: Final = (
    # number row, unshifted then shifted
    ("1234567890", "&é\"'(-è_çà"),
    ("!@#$%^&*()", "1234567890"),
    ("-_=+", ")°=+"),
    # letters moved between the layouts
    ("aqzwAQZW", "qawzQAWZ"),
    ("mM", ",?"),
    (";:'\"", "mMù%"),
    (",<.>/?", ";.:/!§"),
    ("]}\\|", "$£*µ"),
)

#: US character -> character a French AZERTY computer shows for the same key press.
US_TO_AZERTY: Final[Mapping[str, str]] = MappingProxyType(
    {us: fr for uss, frs in _US_TO_AZERTY_PAIRS for us, fr in zip(uss, frs, strict=True)}
)
#: The inverse: what the scanner meant, given what the AZERTY computer typed.
AZERTY_TO_US: Final[Mapping[str, str]] = MappingProxyType(
    {fr: us for us, fr in US_TO_AZERTY.items()}
)
assert len(AZERTY_TO_US) == len(US_TO_AZERTY), "the AZERTY table must be one-to-one"

_US_TO_AZERTY_TRANS: Final = str.maketrans(dict(US_TO_AZERTY))
_AZERTY_TO_US_TRANS: Final = str.maketrans(dict(AZERTY_TO_US))

_URL_HINT: Final = re.compile(r"[?=:&#]|^(?:https?|www)", re.IGNORECASE)
_CODE_PARAM: Final = re.compile(r"(?:^|[?&#;/])code=([^&#\s]*)", re.IGNORECASE)
# A piece's label holds its passport's short address, `<base>/p/M…`.
_PASSPORT_PATH: Final = re.compile(r"/p/([^/?&#\s]+)", re.IGNORECASE)

# How far a reading got before failing; the furthest one explains the error best
# (a bad check character says more than "unexpected character '\''").
_STAGE_CHARS, _STAGE_LENGTH, _STAGE_KIND, _STAGE_PAYLOAD, _STAGE_CHECK = range(5)
_STAGE_URL = _STAGE_CHARS


def _check_value(kind: str, payload_values: list[int]) -> int:
    """Return the Luhn mod 27 (odd variation) check value for kind + payload."""
    total = 0
    factor = 2  # the check character, appended on the right, will have factor 1
    for value in reversed([_KIND_VALUE[kind], *payload_values]):
        total += (factor * value) % N
        factor = 3 - factor
    return (N - total % N) % N


def mint(kind: str) -> str:
    """Return a new random code of this kind, in stored form (uniqueness is the DB's job)."""
    if kind not in KINDS:
        raise InvalidInput("error.code.unknown_kind", kind=kind)
    payload = [secrets.randbelow(N) for _ in range(PAYLOAD_LENGTH)]
    check = _check_value(kind, payload)
    return kind + "".join(ALPHABET[v] for v in payload) + ALPHABET[check]


def is_valid(code: object) -> bool:
    """True if `code` is a well-formed code in stored form (upper case, no separators)."""
    if not isinstance(code, str) or len(code) != CODE_LENGTH or code[0] not in KINDS:
        return False
    values = [_VALUE.get(ch) for ch in code[1:]]
    if any(v is None for v in values):
        return False
    ints = [v for v in values if v is not None]
    return _check_value(code[0], ints[:-1]) == ints[-1]


def _require_valid(code: str) -> str:
    if not is_valid(code):
        raise InvalidCode("error.code.invalid", code=str(code)[:40])
    return code


def kind_of(code: str) -> str:
    """Return the kind letter (`C`, `L`, `M` or `B`) of a stored code."""
    return _require_valid(code)[0]


def kind_or_none(text: str) -> str | None:
    """The kind letter of the code a text holds, or None when it holds no valid code."""
    try:
        return parse(text)[0]
    except InvalidInput:
        return None


def format_code(code: str) -> str:
    """Return the printed form of a stored code, e.g. `C-4K7XR-9`."""
    _require_valid(code)
    return f"{code[0]}-{code[1:-1]}-{code[-1]}"


def url_for(code: str) -> str:
    """Return the URL a label's QR holds: a piece's passport (`/p/M…`), else `/?code=…`."""
    if _require_valid(code)[0] == BUILD:
        return f"{config.base_url()}/p/{code}"
    return f"{config.base_url()}/?code={code}"


_LOCAL_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1", ""})


def labels_point_elsewhere(reached_host: str) -> bool:
    """True when QR codes would send phones to `localhost` (`WORKSHOP_BASE_URL` unset)
    while this browser reached the app at another address: such labels would be wasted."""
    base_host = (urlsplit(config.base_url()).hostname or "").lower()
    reached = (urlsplit(f"//{reached_host.strip()}").hostname or "").lower()
    return base_host in _LOCAL_HOSTS and reached not in _LOCAL_HOSTS


def us_on_azerty(text: str) -> str:
    """Return what a US-layout scanner typing `text` produces on a French AZERTY computer."""
    return text.translate(_US_TO_AZERTY_TRANS)


def azerty_to_us(text: str) -> str:
    """Undo `us_on_azerty`: return what a US-layout scanner meant to type."""
    return text.translate(_AZERTY_TO_US_TRANS)


class _Failure(Exception):
    """A reading of the text that did not give a code, with how far it got."""

    def __init__(self, stage: int, error: InvalidCode) -> None:
        super().__init__(error.key)
        self.stage = stage
        self.error = error


def _read_bare(text: str) -> str:
    """Read a bare code (separators, case and confusables tolerated) or raise _Failure."""
    chars = [ch for ch in text if ch not in _SEPARATORS]
    if not chars:
        raise _Failure(_STAGE_CHARS, InvalidCode("error.code.empty"))
    for ch in chars:
        if not (ch.isascii() and ch.isalnum()):
            raise _Failure(_STAGE_CHARS, InvalidCode("error.code.bad_character", char=ch))
    if len(chars) < CODE_LENGTH:
        raise _Failure(
            _STAGE_LENGTH,
            InvalidCode("error.code.too_short", length=len(chars), expected=CODE_LENGTH),
        )
    if len(chars) > CODE_LENGTH:
        raise _Failure(
            _STAGE_LENGTH,
            InvalidCode("error.code.too_long", length=len(chars), expected=CODE_LENGTH),
        )
    kind = chars[0].upper()
    if kind not in KINDS:
        raise _Failure(_STAGE_KIND, InvalidCode("error.code.unknown_kind", kind=chars[0]))
    rest = []
    for ch in chars[1:]:
        up = ch.upper()
        up = _CONFUSABLES.get(up, up)
        if up not in _VALUE:
            raise _Failure(_STAGE_PAYLOAD, InvalidCode("error.code.bad_character", char=ch))
        rest.append(up)
    code = kind + "".join(rest)
    if not is_valid(code):
        # Never guess the "right" check character: a wrong one means a misread.
        printed = f"{code[0]}-{code[1:-1]}-{code[-1]}"
        raise _Failure(_STAGE_CHECK, InvalidCode("error.code.bad_check", code=printed))
    return code


def _read(text: str) -> str:
    """Read one interpretation of the text: a URL holding `code=` or a bare code."""
    if _URL_HINT.search(text):
        values = {unquote(m.group(1)) for m in _CODE_PARAM.finditer(text)}
        values |= {unquote(m.group(1)) for m in _PASSPORT_PATH.finditer(text)}
        if not values:
            raise _Failure(_STAGE_URL, InvalidCode("error.code.url_without_code"))
        codes = {_read_bare(v) for v in values}
        if len(codes) > 1:
            raise _Failure(_STAGE_CHECK, InvalidCode("error.code.ambiguous"))
        return codes.pop()
    return _read_bare(text)


def parse(text: str, *, expect: str | None = None) -> str:
    """Return the stored code meant by a typed, scanned or pasted text, or raise InvalidCode."""
    if expect is not None and expect not in KINDS:
        raise InvalidInput("error.code.unknown_kind", kind=expect)
    if not isinstance(text, str):
        raise InvalidCode("error.code.empty")
    text = text.strip()
    if not text:
        raise InvalidCode("error.code.empty")
    if len(text) > _MAX_INPUT:
        raise InvalidCode("error.code.too_long", length=len(text), expected=CODE_LENGTH)

    readings = [text]
    unscrambled = azerty_to_us(text)
    if unscrambled != text:
        readings.append(unscrambled)

    found: list[str] = []
    failures: list[_Failure] = []
    for reading in readings:
        try:
            found.append(_read(reading))
        except _Failure as failure:
            failures.append(failure)

    if not found:
        # max() keeps the first of equals: the text as typed wins a tie.
        raise max(failures, key=lambda f: f.stage).error
    if len(set(found)) > 1:
        # Both readings give a valid, different code: refuse rather than pick one.
        raise InvalidCode("error.code.ambiguous")
    code = found[0]
    if expect is not None and code[0] != expect:
        raise WrongCodeKind(expected=expect, found=code[0], code=format_code(code))
    return code
