"""Documents' speed on the 80-market dataset: the yearly report ≤ 5 s, the receipt ≤ 300 ms.

    .venv/bin/python benchmarks/bench_documents.py [--db /tmp/bench-documents.db] [--rebuild]
        [--png-dir test-artifacts]

The dataset is bench_dashboard.py's (80 markets × 5 years, ≈ 2 000 000 tagged crates,
15 000 pieces, 26 000 approved hour entries), built once at the path given and kept.
Each document is timed as its button makes it (the yearly report: the figures read
through the app, then the PDF written; the receipt: the PDF of the figures the market
page has already read and shows), and in the same run, alternating with it, against:
the figures alone (the call the page itself makes: `impact.dashboard` for the year,
`impact.market_month` for the receipt) and fpdf2 writing one page of text with the same
fonts embedded (the Latin cuts of layout.FONTS). Median of `--runs` runs. With
`--png-dir`, page 1 of each PDF is saved there as a PNG (pypdfium2, 110 dpi).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_dashboard  # noqa: E402
from fpdf import FPDF  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from workshop import dates, db, impact  # noqa: E402
from workshop.accounts import hash_password  # noqa: E402
from workshop.documents import attestation, layout, receipt, yearly  # noqa: E402
from workshop.models import Market, Role, User  # noqa: E402

YEARLY_GOAL_S = 5.0
RECEIPT_GOAL_MS = 300.0


def _admin(engine) -> User:
    with db.write_session(engine) as session:
        user = session.exec(select(User).where(User.username == "bench-admin")).first()
        if user is None:
            user = User(
                username="bench-admin",
                display_name="Bench admin",
                role=Role.admin,
                password_hash=hash_password("x" * 8),
            )
            session.add(user)
            session.flush()
        session.expunge(user)
        return user


def _fpdf_floor() -> bytes:
    """One A4 page of text in the documents' fonts, embedded: what fpdf2 costs at least."""
    pdf = FPDF(unit="mm", format="A4")
    for style, file in layout.FONTS.items():
        pdf.add_font(layout.FAMILY, style, str(layout.FONT_DIR / file))
    pdf.add_page()
    for style in ("", "B"):
        pdf.set_font(layout.FAMILY, style, 10)
        for i in range(30):
            pdf.cell(
                0,
                5,
                f"Marché n° {i} · 1 234,5 kg · 12 % · Données de collecte",
                new_x="LMARGIN",
                new_y="NEXT",
            )
    return bytes(pdf.output())


def _median_ms(fns: dict[str, Callable[[], object]], runs: int) -> dict[str, list[float]]:
    """Each function `runs` times, alternating, in ms."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t0) * 1000)
    return times


def _line(name: str, ms: list[float], goal: str = "") -> None:
    print(
        f"  {name:58} {statistics.median(ms):8.0f} ms (min {min(ms):.0f}, max {max(ms):.0f}) {goal}"
    )


def _png(pdf: bytes, path: Path) -> None:
    import pypdfium2

    doc = pypdfium2.PdfDocument(pdf)
    try:
        doc[0].render(scale=110 / 72).to_pil().save(path)
    finally:
        doc.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/bench-documents.db"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--png-dir", type=Path, default=None)
    args = parser.parse_args()
    if args.rebuild or not bench_dashboard._up_to_date(args.db):
        t0 = time.perf_counter()
        bench_dashboard.build_dataset(args.db)
        print(f"built in {time.perf_counter() - t0:.0f} s")
    gc.freeze()  # as the app does after start-up (common.freeze_startup_objects)
    engine = db.make_engine(f"sqlite:///{args.db}")
    admin = _admin(engine)
    last_year = dates.today().year - 1
    last_month = dates.add_months(dates.today().replace(day=1), -1)
    with db.read_session(engine) as session:
        market = session.exec(select(Market).order_by(Market.id)).first()
        assert market is not None
        market_id, market_name = market.id or 0, market.name

    def read(fn: Callable[[Session], object]) -> Callable[[], object]:
        def run() -> object:
            with db.read_session(engine) as session:
                return fn(session)

        return run

    def year_pdf(session: Session) -> bytes:
        return yearly.pdf(session=session, actor=admin, year=last_year, lang="fr")

    def year_floor(session: Session) -> object:
        return impact.dashboard(
            session=session, actor=admin, start=date(last_year, 1, 1), end=date(last_year, 12, 31)
        )

    def month_data(session: Session) -> impact.MarketMonth:
        return impact.market_month(
            session=session, actor=admin, market_id=market_id, month=last_month
        )

    def receipt_pdf(session: Session) -> bytes:
        return receipt.render(month_data(session), "fr")

    def attestation_pdf(session: Session) -> bytes:
        return attestation.pdf(
            session=session, actor=admin, market_id=market_id, year=last_year, lang="fr"
        )

    sizes = {
        "yearly": read(year_pdf)(),
        "receipt": read(receipt_pdf)(),
        "attestation": read(attestation_pdf)(),
    }
    print(f"dataset {args.db}, market {market_name!r}, year {last_year}, month {last_month:%Y-%m}")
    print("sizes: " + ", ".join(f"{k} {len(v) / 1000:.0f} kB" for k, v in sizes.items()))

    print(f"\nyearly report {last_year}, all markets (goal ≤ {YEARLY_GOAL_S:.0f} s):")
    yearly_times = _median_ms(
        {"ours": read(year_pdf), "floor": read(year_floor)}, max(3, args.runs // 2)
    )
    ours = statistics.median(yearly_times["ours"])
    _line(
        "ours: yearly.pdf (figures + PDF)",
        yearly_times["ours"],
        "ok" if ours <= YEARLY_GOAL_S * 1000 else "OVER",
    )
    _line("floor: impact.dashboard for the year (the dashboard's call)", yearly_times["floor"])

    print(f"\nreceipt, one market and month (goal ≤ {RECEIPT_GOAL_MS:.0f} ms):")
    with db.read_session(engine) as session:
        month = month_data(session)
    receipt_times = _median_ms(
        {
            "ours": read(receipt_pdf),
            "render": lambda: receipt.render(month, "fr"),
            "data": read(month_data),
            "fpdf": _fpdf_floor,
        },
        args.runs,
    )
    # The market page has the month's figures already (they are on the screen): the
    # download button costs the rendering alone; with the figures read too, for the record.
    ours = statistics.median(receipt_times["render"])
    _line(
        "ours: receipt.render (the page's figures already read)",
        receipt_times["render"],
        "ok" if ours <= RECEIPT_GOAL_MS else "OVER",
    )
    _line("  with impact.market_month first", receipt_times["ours"])
    _line("floor: impact.market_month (the market page's call)", receipt_times["data"])
    _line("floor: fpdf2, one page of text, same fonts embedded", receipt_times["fpdf"])

    print("\nwood attestation, one market and year:")
    _line(
        "attestation.pdf (figures + PDF)", _median_ms({"a": read(attestation_pdf)}, args.runs)["a"]
    )

    if args.png_dir:
        args.png_dir.mkdir(parents=True, exist_ok=True)
        for name, pdf in sizes.items():
            path = args.png_dir / f"document-{name}-page1.png"
            _png(pdf, path)
            print(f"wrote {path}")
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
