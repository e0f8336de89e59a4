"""The documents people file, as PDF (real text, embedded fonts) and spreadsheets.

- `receipt`: a market's monthly receipt (market manager);
- `attestation`: a market's yearly wood attestation data (admin);
- `funders`: the funders' monthly pack of hours and FTE shares (lead);
- `layout`: the A4 page every PDF shares (fonts, headings, tables, vector bars).
"""

from workshop.documents import attestation, funders, receipt

__all__ = ["attestation", "funders", "receipt"]
