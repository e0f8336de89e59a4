"""The documents people file, as PDF (real text, embedded fonts) and spreadsheets.

- `receipt`: a market's monthly receipt (market manager);
- `layout`: the A4 page every PDF shares (fonts, headings, tables, vector bars).
"""

from workshop.documents import receipt

__all__ = ["receipt"]
