"""Make the documents' fonts: DejaVu Sans (and Bold) cut down to the Latin scripts.

    .venv/bin/python assets/fonts/make_document_fonts.py

fpdf2 reads a whole TrueType file for every document it writes; the full DejaVu Sans
(6 000 glyphs) took most of a receipt's time. These subsets keep Basic Latin, Latin-1,
Latin Extended-A and -B, IPA, spacing modifiers, general punctuation (the narrow
no-break space Babel writes in French numbers), currency, letterlike symbols,
arrows, mathematical operators and a few shapes: every character of the catalogs and
of French and English names. Text with any other character gets the full fonts as a
fallback (workshop/documents/layout.py). The DejaVu licence allows modified copies
whose names hold neither "Bitstream" nor "Vera" (LICENSE-DejaVu.txt).
"""

from __future__ import annotations

from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

HERE = Path(__file__).resolve().parent
RANGES = (
    (0x0020, 0x007E),
    (0x00A0, 0x036F),  # Latin-1, Extended-A and -B, IPA, modifiers, combining marks
    (0x1E00, 0x1EFF),  # Latin Extended Additional
    (0x2000, 0x206F),  # general punctuation
    (0x20A0, 0x20BF),  # currency
    (0x2100, 0x22FF),  # letterlike, number forms, arrows, mathematical operators
    (0x25A0, 0x25FF),  # geometric shapes
    (0x2713, 0x2717),  # check and cross marks
)


def main() -> None:
    """Write DejaVuSans-Latin.ttf and DejaVuSans-Bold-Latin.ttf beside this script."""
    unicodes = [c for first, last in RANGES for c in range(first, last + 1)]
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_legacy = True
    options.notdef_outline = True
    options.glyph_names = True
    options.legacy_kern = True
    for name in ("DejaVuSans", "DejaVuSans-Bold"):
        font = TTFont(HERE / f"{name}.ttf", recalcTimestamp=False)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes)
        subsetter.subset(font)
        font.save(HERE / f"{name}-Latin.ttf")


if __name__ == "__main__":
    main()
