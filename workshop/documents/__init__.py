"""The documents people file, as PDF (real text, embedded fonts) and spreadsheets.

- `receipt`: a market's monthly receipt (market manager);
- `attestation`: a market's yearly wood attestation data (admin);
- `funders`: the funders' monthly pack of hours and FTE shares (lead);
- `yearly`: the yearly activity report (admin);
- `layout`: the A4 page every PDF shares (fonts, headings, tables, vector bars).
"""

from workshop.documents import attestation, funders, receipt, yearly

__all__ = ["attestation", "funders", "receipt", "yearly"]
