"""Upload memory benchmark: the peak memory of either spreadsheet import on a 50 MB file,
and of a photo upload on a decompression bomb.

Run: .venv/bin/python benchmarks/bench_import_memory.py [--mb 50] [--goal-mb 300]

Files of `--mb` MB each, the hostile ones of the "Hardening" issue made big:

- pickups.csv, venues.csv: real-looking rows (a pickup, or a venue's month, per row;
  French Excel's ";" and decimal commas), far more of them than an import takes;
- blank.csv: nothing but blank lines (the attack was 20 MB of them);
- bloated.xlsx: a workbook whose shared-strings table holds millions of strings
  (the attack was 0.8 MB that openpyxl unzipped to 3.3 GB);
- bomb.png: the attack's 700 KB PNG of 13 300 x 13 300 pixels (707 MB decoded; it took
  2 GB before the 40 MP limit), given to the scan page's reader
  (`qr_photos.decode_image`) and to a build photo's resizing (`builds.photos`, the
  step `add_photo` and `set_design_photo` share). Its size does not follow `--mb`.

Each import reads its rows file, the blank lines and the workbook: the pickups'
(`pickup_import.read_table`: CSV and XLSX) and the venues' (`venues.parse_csv`: CSV;
an XLSX is refused as not a CSV before it is read). The imports' byte caps (20 MB and 2 MB) are
lifted to `--mb` + 1 so that each file reaches the readers: what this measures is
what the other bounds (rows, cells, lines, an XLSX's size once unzipped) hold.

Each case runs in a child process of its own, which reads the file's bytes first:
that is its floor (VmHWM reset through /proc/self/clear_refs, or ru_maxrss where
that cannot be done). The peak is the child's high-water mark after the import; the
goal is peak - floor <= --goal-mb for every case.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import factories  # noqa: E402 - the bomb the tests upload, built the same way

MARKETS = ("Marché Davout", "Belgrand", "Marché des Pyrénées", "Télégraphe", "Réunion")
VENUE = "Édicule de la place du Guignier"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"


def _pickup_rows(target: int, rng: random.Random) -> bytes:
    """Pickups as the old spreadsheet has them, up to `target` bytes."""
    lines = ["Date;Marché;Cagettes;Plateaux;Nb pesées;Poids (kg);Remarque"]
    size = 0
    while size < target:
        line = (
            f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2019, 2025)};"
            f"{rng.choice(MARKETS)};{rng.randint(0, 60)};{rng.randint(0, 9)};"
            f"{rng.randint(1, 5)};{rng.randint(5, 40)},{rng.randint(0, 9)};pluie, lot n°{size}"
        )
        lines.append(line)
        size += len(line) + 2
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def _venue_rows(target: int, rng: random.Random) -> bytes:
    """A venue's monthly figures, up to `target` bytes."""
    lines = ["lieu;indicateur;mois;valeur;source"]
    size = 0
    while size < target:
        line = f"{VENUE};visitors;{rng.randint(1, 12):02d}/2025;{rng.randint(0, 9999)},5;relevé"
        lines.append(line)
        size += len(line) + 2
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def _bloated_xlsx(path: Path, target: int, rng: random.Random) -> None:
    """A workbook of one sheet whose shared-strings table fills `target` bytes, compressed."""
    block = "".join(f"<si><t>{rng.getrandbits(40):010x}</t></si>" for _ in range(20_000))
    packed = len(zlib.compress(block.encode(), 6))
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{PACKAGE}/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        f'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{TYPES}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{TYPES}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{TYPES}.sharedStrings+xml"/>'
        "</Types>",
        "_rels/.rels": f'<Relationships xmlns="{PACKAGE}/relationships"><Relationship Id="r1" '
        f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{NS}" xmlns:r="{RELS}"><sheets>'
        '<sheet name="Collectes" sheetId="1" r:id="r1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PACKAGE}/relationships">'
        f'<Relationship Id="r1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="r2" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{NS}"><sheetData><row r="1">'
        '<c t="s"><v>0</v></c><c t="s"><v>1</v></c></row></sheetData></worksheet>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as table:
            table.write(f'<sst xmlns="{NS}">'.encode())
            for _ in range(target // packed):
                table.write(block.encode())
            table.write(b"</sst>")


# Which files each import is given.
CASES = {
    "pickups": ("pickups.csv", "blank.csv", "bloated.xlsx"),
    "venues": ("venues.csv", "blank.csv", "bloated.xlsx"),
    "scan": ("bomb.png",),
    "photo": ("bomb.png",),
}


def _files(folder: Path, megabytes: int) -> dict[str, Path]:
    """The files, built once, by name."""
    target, rng = megabytes * 1024 * 1024, random.Random(1)
    files = {name: folder / name for name in {n for names in CASES.values() for n in names}}
    files["pickups.csv"].write_bytes(_pickup_rows(target, rng))
    files["venues.csv"].write_bytes(_venue_rows(target, rng))
    files["blank.csv"].write_bytes(b"\n" * target)
    _bloated_xlsx(files["bloated.xlsx"], target, rng)
    files["bomb.png"].write_bytes(factories.png_bomb())
    return files


def _high_water_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_high_water() -> None:
    """Start the peak over from the memory in use now (Linux); elsewhere it stays as it is."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def child(importer: str, path: Path, max_bytes: int, folder: Path) -> None:
    """One case, in this process: print the outcome, the seconds, the floor and the peak."""
    import openpyxl  # noqa: F401 - imported lazily by the import: not its data's memory

    from workshop import db, pickup_import, qr_photos, startup, venues
    from workshop.builds import photos
    from workshop.errors import DomainError
    from workshop.models import Role, User

    engine = startup.open_database(f"sqlite:///{folder / 'bench.db'}")
    with db.write_session(engine) as session:
        admin = User(username="bench", display_name="Bench", role=Role.admin, password_hash="-")
        session.add(admin)
        session.flush()
        session.expunge(admin)
    data = path.read_bytes()
    _reset_high_water()
    floor = _high_water_mb()
    started = time.perf_counter()
    try:
        if importer == "scan":
            outcome = f"read {qr_photos.decode_image(data)}"
        elif importer == "photo":
            outcome = f"kept {len(photos._resized_jpeg(data))} bytes"
        elif importer == "pickups":
            limits = replace(pickup_import.LIMITS, max_bytes=max_bytes)
            table = pickup_import.read_table(data, path.name, limits)
            outcome = f"read {len(table.rows)} rows"
        else:
            with db.read_session(engine) as session:
                preview = venues.parse_csv(
                    session=session,
                    actor=admin,
                    data=data,
                    filename=path.name,
                    limits=replace(venues.LIMITS, max_bytes=max_bytes),
                )
            outcome = f"read {len(preview.rows)} rows, {len(preview.errors)} errors"
    except DomainError as err:
        outcome = f"refused: {err.key} {err.params}"
    seconds = time.perf_counter() - started
    print(f"{outcome}\t{seconds:.2f}\t{floor:.0f}\t{_high_water_mb():.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=50, help="size of each file (default 50)")
    parser.add_argument("--goal-mb", type=int, default=300, help="peak - floor goal (300)")
    parser.add_argument("--child", nargs=3, metavar=("IMPORT", "FILE", "FOLDER"), help="internal")
    args = parser.parse_args()
    max_bytes = (args.mb + 1) * 1024 * 1024
    if args.child:
        importer, path, folder = args.child
        child(importer, Path(path), max_bytes, Path(folder))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        files = _files(Path(tmp), args.mb)
        print(f"{len(files)} files of {args.mb} MB built in {time.perf_counter() - started:.0f} s")
        print(f"{'file':<14}{'import':<9}{'s':>6}{'floor':>7}{'peak':>7}{'+MB':>6}  outcome")
        worst = 0.0
        for importer, name in [(i, name) for i, names in CASES.items() for name in names]:
            with tempfile.TemporaryDirectory() as folder:
                done = subprocess.run(
                    [sys.executable, __file__, "--mb", str(args.mb), "--child", importer]
                    + [str(files[name]), folder],
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=ROOT,
                )
            outcome, seconds, floor, peak = done.stdout.strip().splitlines()[-1].split("\t")
            extra = float(peak) - float(floor)
            worst = max(worst, extra)
            print(f"{name:<14}{importer:<9}{seconds:>6}{floor:>7}{peak:>7}{extra:>6.0f}  {outcome}")
        verdict = "OK" if worst <= args.goal_mb else "OVER"
        print(f"worst: +{worst:.0f} MB over the floor (goal <= {args.goal_mb} MB): {verdict}")
        return 0 if worst <= args.goal_mb else 1


if __name__ == "__main__":
    sys.exit(main())
