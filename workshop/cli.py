"""Command line: python -m workshop migrate | create-admin | seed-demo | labels | purge |
backup | restore | import."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from workshop import accounts, config, db, demo, i18n, restore, startup
from workshop.errors import DomainError


def cmd_migrate(_args: argparse.Namespace) -> int:
    """Apply migrations and seed markets and crate kinds."""
    startup.open_database()
    print("Database up to date.")
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    """Create the first admin account."""
    engine = startup.open_database()
    username = args.username or input("Username: ")
    name = args.name or input("Display name: ")
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass()
    with db.write_session(engine) as session:
        user = accounts.create_first_admin(
            session=session, username=username, display_name=name, password=password
        )
    print(f"Admin '{user.username}' created.")
    return 0


def cmd_seed_demo(_args: argparse.Namespace) -> int:
    """Fill the database with demo users and two years of pickups."""
    engine = startup.open_database()
    with db.write_session(engine) as session:
        added = demo.seed_demo(session=session)
    print(f"{added} demo pickups added." if added else "Demo data already present.")
    print("Demo sign-ins (username / password):")
    for username, _name, role, password in demo.DEMO_USERS:
        print(f"  {role.value:<15} {username:<10} {password}")
    return 0


def cmd_labels(args: argparse.Namespace) -> int:
    """Write a PDF label sheet for the given codes."""
    from workshop import labels

    labels.write_labels_cli(args.codes, args.template, args.skip, Path(args.out))
    print(f"{len(args.codes)} labels written to {args.out}.")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    """Anonymise trainees whose contract ended more than the retention period ago."""
    from workshop import hours

    engine = startup.open_database()
    months = config.retention_months()
    if args.dry_run:
        with db.read_session(engine) as session:
            due = hours.due_for_anonymisation(session=session, months=months)
        print(f"{len(due)} trainee(s) would be anonymised (retention: {months} months).")
        return 0
    with db.write_session(engine) as session:
        done = hours.anonymise_expired(session=session, actor=None, months=months)
    print(f"{len(done)} trainee(s) anonymised (retention: {months} months).")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """Back the database up (SQLite: a copy of the file; PostgreSQL: a JSON export)."""
    from workshop import backup

    engine = db.make_engine()
    try:
        path = backup.write_backup(
            engine, out_dir=Path(args.out) if args.out else None, as_json=args.json
        )
    finally:
        engine.dispose()
    print(f"Backup written to {path}.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a backup file into the configured database, which must be empty."""
    from workshop import backup

    done = restore.restore(Path(args.file))
    print(
        f"{done.rows} rows in {done.tables} tables restored into "
        f"{backup.describe_url(config.database_url())}."
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import past pickups from a CSV or XLSX file (all or nothing)."""
    from sqlmodel import select

    from workshop import pickup_import, pickups
    from workshop.models import User

    engine = startup.open_database()
    path = Path(args.file)
    try:
        table = pickup_import.read_table(path.read_bytes(), path.name)
    except OSError as exc:
        print(f"{path}: {exc.strerror}", file=sys.stderr)
        return 1
    lang = config.default_language()
    with db.read_session(engine) as session:
        actor = session.exec(select(User).where(User.username == args.user.lower())).first()
        mapping = pickup_import.guess_mapping(table.headers, pickups.crate_kinds(session=session))
    if actor is None:
        print(f"Unknown user: {args.user}", file=sys.stderr)
        return 1
    for pair in args.map or []:
        name, _, column = pair.partition("=")
        if column not in table.headers:
            print(f"No column named {column!r} in {path.name}.", file=sys.stderr)
            return 1
        mapping[name] = table.headers.index(column)
    try:
        with db.write_session(engine) as session:
            if args.dry_run:
                report = pickup_import.preview_import(
                    session=session, actor=actor, table=table, mapping=mapping
                )
            else:
                report = pickup_import.import_pickups(
                    session=session, actor=actor, table=table, mapping=mapping, filename=path.name
                )
    except pickup_import.ImportRejected as err:
        for row in err.errors:
            print(f"row {row.row}: {i18n.translate(row.key, lang, **row.params)}", file=sys.stderr)
        raise
    for row in report.errors:  # only in a dry run
        print(f"row {row.row}: {i18n.translate(row.key, lang, **row.params)}", file=sys.stderr)
    verb = "would be imported" if args.dry_run else "imported"
    print(f"{len(report.imported)} pickups {verb}, {len(report.skipped)} already recorded.")
    return 1 if report.errors else 0


def main(argv: list[str] | None = None) -> int:
    """Run one command; errors are printed in plain words, with exit code 1."""
    parser = argparse.ArgumentParser(prog="python -m workshop")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help=cmd_migrate.__doc__).set_defaults(func=cmd_migrate)
    p = sub.add_parser("create-admin", help=cmd_create_admin.__doc__)
    p.add_argument("--username")
    p.add_argument("--name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.set_defaults(func=cmd_create_admin)
    sub.add_parser("seed-demo", help=cmd_seed_demo.__doc__).set_defaults(func=cmd_seed_demo)
    p = sub.add_parser("labels", help=cmd_labels.__doc__)
    p.add_argument("codes", nargs="+")
    p.add_argument("--template", default="a4-3x8-70x37")
    p.add_argument("--skip", type=int, default=0)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_labels)
    p = sub.add_parser("purge", help=cmd_purge.__doc__)
    p.add_argument("--dry-run", action="store_true", help="only say how many are due")
    p.set_defaults(func=cmd_purge)
    p = sub.add_parser("backup", help=cmd_backup.__doc__)
    p.add_argument("--out", help="directory (default: <data dir>/backups)")
    p.add_argument("--json", action="store_true", help="a JSON export, also for SQLite")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help=cmd_restore.__doc__)
    p.add_argument("file")
    p.set_defaults(func=cmd_restore)
    p = sub.add_parser("import", help=cmd_import.__doc__)
    p.add_argument("file")
    p.add_argument("--user", required=True, help="username of the lead or admin importing")
    p.add_argument("--map", action="append", help="field=column header, e.g. market=Lieu")
    p.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    p.set_defaults(func=cmd_import)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except DomainError as err:
        print(i18n.translate(err.key, config.default_language(), **err.params), file=sys.stderr)
        return 1
