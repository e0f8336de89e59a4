"""The documents people file, as PDF (real text, embedded fonts) and spreadsheets.

- `receipt`: a market's monthly receipt (market manager);
- `funders`: the funders' monthly pack of hours and FTE shares (lead);
- `layout`: the A4 page every PDF shares (fonts, headings, tables, vector bars).
"""

from workshop.documents import funders, receipt

__all__ = ["funders", "receipt"]
