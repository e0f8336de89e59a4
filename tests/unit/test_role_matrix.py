"""Every domain write × every role, checked against the role matrix (issue 8, item 4).

Pages × roles are tested in tests/ui (test_role_matrix_pages, test_pages); this is the
other half: each public domain function that takes `session` and `actor` and writes is
called by a user of every role (and by a disabled admin). When the role's
`accounts.PERMISSIONS` hold the permission the function needs, the call must succeed
(with valid arguments, so it really writes); otherwise it must raise PermissionDenied
and leave the database (every table, the audit log included) and the data folder
exactly as they were. The needed permission of each write is also checked against
DESIGN §7 (`tests/factories.py`, DESIGN_MATRIX), and the table must list every such
function found in the domain modules, so a new write cannot be added untested.

Cross-cutting: not one module's tests (test_meta lists the files that are not).
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy import inspect as sa_inspect
from sqlmodel import select

from tests import factories
from workshop import (
    accounts,
    backup,
    builds,
    codes,
    crates,
    dates,
    db,
    hours,
    pickup_import,
    pickups,
    signin_tokens,
    throttles,
    venues,
)
from workshop.accounts import PERMISSIONS, Permission
from workshop.errors import PermissionDenied
from workshop.models import (
    Activity,
    BuildStatus,
    CrateKind,
    Design,
    HourEntry,
    Metric,
    Outcome,
    Role,
    Trainee,
    User,
    Venue,
)

DOMAIN_MODULES: tuple[ModuleType, ...] = (
    pickups,
    crates,
    builds,
    hours,
    venues,
    accounts,
    signin_tokens,
    throttles,
    pickup_import,
    backup,
)

# Functions taking `session` and `actor` that only read (or only preview, rolling back):
# outside this test's scope, but named here so that the scan below stays exhaustive.
READS = {
    "pickups.recent_pickups",
    "crates.label_rows",
    "crates.resolve",
    "builds.hours_of_build",
    "builds.list_builds",
    "hours.history",
    "hours.linked_trainee",
    "hours.list_trainees",
    "hours.monthly_report",
    "hours.pending",
    "hours.personal_data",
    "hours.trainee_accounts",
    "hours.week_view",
    "venues.list_venues",
    "venues.parse_csv",  # the preview of import_csv
    "venues.values",
    "accounts.list_users",
    "pickup_import.preview_import",  # import_pickups inside a savepoint that is rolled back
}
# Writes taking `actor` that no permission guards, on purpose.
UNGUARDED = {
    # Logs a sign-in attempt (actor = the user who just signed in, or None).
    "throttles.record_attempt",
}
# Writes without an `actor` at all, guarded otherwise (not walked here):
# accounts.create_first_admin (refused once any user exists: see the test at the end),
# accounts.authenticate (the sign-in itself), signin_tokens.end (signing out: the token
# is the proof), hours.shop_floor_hours / clock_in / clock_out (a trainee identified by
# badge or PIN on the shop-floor tablet).
# Writes whose `actor` may be None on purpose: the command line runs them.
NO_ACTOR_ALLOWED = {"hours.anonymise_expired"}

TODAY = dates.today()
WORK_DAY = TODAY - timedelta(days=7)  # a day of last week: open, past, inside contracts
VENUE_TODAY = date(2026, 6, 15)
VENUE_MONTH = date(2026, 4, 1)


def actor_domain_functions() -> set[str]:
    """`module.function` of every public domain function with keyword `session` and `actor`."""
    found = set()
    for module in DOMAIN_MODULES:
        short = module.__name__.rsplit(".", 1)[-1]
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            # A package's functions are defined in its parts and exported by its __init__.
            defined_here = fn.__module__ == module.__name__ or fn.__module__.startswith(
                f"{module.__name__}."
            )
            if name.startswith("_") or not defined_here:
                continue
            params = inspect.signature(fn).parameters
            if all(
                p in params and params[p].kind is inspect.Parameter.KEYWORD_ONLY
                for p in ("session", "actor")
            ):
                found.add(f"{short}.{name}")
    return found


# --- the world each case is built in -------------------------------------------------------


@dataclass
class World:
    """A seeded database with one user per role, an admin doing the setup."""

    engine: Engine
    users: dict[Role, User]
    disabled_admin: User
    own_trainee: Trainee  # the trainee record linked to users[Role.trainee]
    _n: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def admin(self) -> User:
        return self.users[Role.admin]

    def n(self) -> int:
        """A number new on each call (unique names, distinct import rows)."""
        return next(self._n)

    def write(self, action: Callable[..., Any], **kwargs: Any) -> Any:
        """Setup: `action` done by the admin in its own transaction."""
        with db.write_session(self.engine) as session:
            return action(session=session, actor=self.admin, **kwargs)

    def one(self, model: type, *where: Any) -> Any:
        with db.read_session(self.engine) as session:
            return session.exec(select(model).where(*where)).first()

    def kind(self) -> CrateKind:
        return factories.kinds(self.engine)[0]

    def market_id(self) -> int:
        return factories.market(self.engine).id or 0

    def design_id(self) -> int:
        return self.one(Design, Design.name == "Étagère 3 cagettes").id

    def trainee(self, *, end: date | None = None, user_id: int | None = None) -> Trainee:
        """A trainee record (inserted directly, so an old contract is possible)."""
        with db.write_session(self.engine) as session:
            tr = Trainee(
                display_name=f"Awa {self.n()}",
                programme_id=hours.programmes(session=session)[0].id or 0,
                start_date=(end or TODAY) - timedelta(days=90),
                end_date=end,
                badge_code=codes.mint("B"),
                user_id=user_id,
            )
            session.add(tr)
            session.flush()
            return tr

    def entry(self, trainee: Trainee) -> HourEntry:
        return self.write(
            hours.record_hours,
            trainee_id=trainee.id,
            fields=hours.EntryFields(work_date=WORK_DAY, minutes=60, activity=Activity.poncage),
        )

    def target_user(self) -> User:
        return factories.user(self.engine, Role.lead, f"cible-{self.n()}")


# --- builders: valid arguments for one call, prepared by the admin --------------------------
# Each takes the World and the acting user, and returns the call's keyword arguments.

Builder = Callable[[World, User], dict[str, Any]]


def _log_pickup(w: World, _: User) -> dict[str, Any]:
    return {"fields": pickups.PickupFields(w.market_id(), TODAY, {w.kind().id: 4})}


def _update_pickup(w: World, _: User) -> dict[str, Any]:
    lot = factories.lot(w.engine, w.admin, counts=(5,))
    return {
        "lot_id": lot.id,
        "fields": pickups.PickupFields(
            lot.market_id, lot.pickup_date, {w.kind().id: 6}, note="recompté"
        ),
        "reason": "erreur de saisie",
    }


def _delete_pickup(w: World, _: User) -> dict[str, Any]:
    return {"lot_id": factories.lot(w.engine, w.admin).id, "reason": "doublon"}


def _kind_weights(w: World, _: User) -> dict[str, Any]:
    kind = w.kind()
    return {"weights": {kind.id: round(kind.default_weight_kg + 0.1, 2)}}


def _update_market(w: World, _: User) -> dict[str, Any]:
    market = factories.market(w.engine)
    days = ["lun"] if market.days != "lun" else ["mar"]
    return {"market_id": market.id, "days": days, "active": True}


def _sort_lot(w: World, _: User) -> dict[str, Any]:
    lot = factories.lot(w.engine, w.admin, counts=(3,))
    return {"lot_id": lot.id, "tag": {w.kind().id: 2}}


def _set_outcome(w: World, _: User) -> dict[str, Any]:
    return {"code": factories.crates_in_stock(w.engine, w.admin, 1)[0], "outcome": Outcome.reused}


def _save_design(w: World, _: User) -> dict[str, Any]:
    fields = builds.DesignFields(name=f"Tabouret {w.n()}", crates_needed=2, typical_hours=3.0)
    return {"fields": fields}


def _create_build(w: World, _: User) -> dict[str, Any]:
    return {"design_id": w.design_id()}


def _set_status(w: World, _: User) -> dict[str, Any]:
    return {"build_id": factories.build(w.engine, w.admin).id, "status": BuildStatus.in_progress}


def _delete_build(w: World, _: User) -> dict[str, Any]:
    return {"build_id": factories.build(w.engine, w.admin).id, "reason": "erreur"}


def _add_photo(w: World, _: User) -> dict[str, Any]:
    return {"build_id": factories.build(w.engine, w.admin).id, "data": factories.jpeg((120, 80))}


def _design_photo(w: World, _: User) -> dict[str, Any]:
    return {"design_id": w.design_id(), "data": factories.jpeg((120, 80))}


def _attach_crate(w: World, _: User) -> dict[str, Any]:
    build = factories.build(w.engine, w.admin)
    return {"build_id": build.id, "text": factories.crates_in_stock(w.engine, w.admin, 1)[0]}


def _undo_last(w: World, _: User) -> dict[str, Any]:
    args = _attach_crate(w, w.admin)
    w.write(builds.attach_crate, **args)
    return {"build_id": args["build_id"]}


def _create_trainee(w: World, _: User) -> dict[str, Any]:
    with db.read_session(w.engine) as session:
        programme_id = hours.programmes(session=session)[0].id or 0
    return {
        "first_name": f"Awa{w.n()}",
        "last_initial": "D",
        "fields": hours.TraineeFields(
            programme_id=programme_id, start_date=TODAY - timedelta(days=30)
        ),
    }


def _update_trainee(w: World, _: User) -> dict[str, Any]:
    tr = w.trainee()
    return {
        "trainee_id": tr.id,
        "fields": replace(hours.TraineeFields.of(tr), consent_name=True),
    }


def _hours_for(trainee_id: int, day: date = WORK_DAY) -> dict[str, Any]:
    return {
        "trainee_id": trainee_id,
        "fields": hours.EntryFields(work_date=day, minutes=30, activity=Activity.tri),
    }


def _record_hours_other(w: World, _: User) -> dict[str, Any]:
    return _hours_for(w.trainee().id or 0)


def _record_hours_own(w: World, _: User) -> dict[str, Any]:
    return _hours_for(w.own_trainee.id or 0)


def _correction(entry: HourEntry) -> dict[str, Any]:
    return {"entry_id": entry.id, "minutes": 90, "activity": Activity.assemblage, "reason": "oubli"}


def _correct_entry(w: World, _: User) -> dict[str, Any]:
    return _correction(w.entry(w.trainee()))


def _correct_own_entry(w: World, _: User) -> dict[str, Any]:
    return _correction(w.entry(w.own_trainee))


def _reject_entry(w: World, _: User) -> dict[str, Any]:
    return {"entry_id": w.entry(w.trainee()).id, "reason": "pas venu"}


def _approve_week(w: World, _: User) -> dict[str, Any]:
    tr = w.trainee()
    w.entry(tr)
    return {"trainee_id": tr.id, "week": WORK_DAY}


def _approve_own_week(w: World, _: User) -> dict[str, Any]:
    # The trainee's own week, an earlier one each call (a week is approved only once).
    day = WORK_DAY - timedelta(weeks=w.n())
    w.write(hours.record_hours, **_hours_for(w.own_trainee.id or 0, day))
    return {"trainee_id": w.own_trainee.id, "week": day}


def _reopen_week(w: World, _: User) -> dict[str, Any]:
    args = _approve_week(w, w.admin)
    w.write(hours.approve_week, **args)
    return {**args, "reason": "erreur d'approbation"}


def _anonymise(w: World, _: User) -> dict[str, Any]:
    w.trainee(end=TODAY - timedelta(days=5 * 365))
    return {"today": TODAY, "months": 12}


def _record_month(w: World, _: User) -> dict[str, Any]:
    venue = w.one(Venue, Venue.own == False, Venue.active == True)  # noqa: E712
    metric = w.one(Metric, Metric.venue_id == venue.id)
    return {
        "venue_id": venue.id,
        "month": VENUE_MONTH,
        "figures": {metric.id: float(w.n())},
        "today": VENUE_TODAY,
    }


def _import_csv(w: World, _: User) -> dict[str, Any]:
    venue = w.one(Venue, Venue.own == False, Venue.active == True)  # noqa: E712
    metric = w.one(Metric, Metric.venue_id == venue.id)
    data = f"venue,metric,month,value,source\n{venue.name},{metric.name},2026-04,{w.n()},\n"
    return {"data": data.encode(), "filename": "lieux.csv", "today": VENUE_TODAY}


def _import_pickups(w: World, _: User) -> dict[str, Any]:
    market = factories.market(w.engine)
    csv = (
        "date,market,Standard wooden crate\n"
        f"{(TODAY - timedelta(days=3)).isoformat()},{market.name},{w.n() + 1}\n"
    )
    table = pickup_import.read_table(csv.encode(), "collectes.csv")
    return {
        "table": table,
        "mapping": pickup_import.guess_mapping(table.headers, factories.kinds(w.engine)),
        "filename": "collectes.csv",
    }


def _create_user(w: World, _: User) -> dict[str, Any]:
    return {
        "username": f"nouveau-{w.n()}",
        "display_name": "Nouveau",
        "password": "long-enough",
        "role": Role.lead,
    }


def _reset_password(w: World, _: User) -> dict[str, Any]:
    return {"user_id": w.target_user().id, "password": "nouveau-mdp"}


def _set_active(w: World, _: User) -> dict[str, Any]:
    return {"user_id": w.target_user().id, "active": False}


def _set_email(w: World, _: User) -> dict[str, Any]:
    return {"user_id": w.target_user().id, "email": f"cible{w.n()}@example.org"}


def _set_role(w: World, _: User) -> dict[str, Any]:
    return {"user_id": w.target_user().id, "role": Role.trainee}


def _unlock(w: World, _: User) -> dict[str, Any]:
    return {"user_id": w.target_user().id, "reason": "la personne a appelé"}


def _sign_out_other(w: World, _: User) -> dict[str, Any]:
    return {"user_id": w.target_user().id}


def _language(w: World, _: User) -> dict[str, Any]:
    return {"language": "en"}


def _sign_out_self(_w: World, actor: User) -> dict[str, Any]:
    return {"user_id": actor.id}


def _no_arguments(_w: World, _: User) -> dict[str, Any]:
    return {}


def _create_backup(_w: World, _: User) -> dict[str, Any]:
    return {}


# --- the table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One domain write, the permission it needs (read from its code), how to call it."""

    function: str  # "module.name"
    permission: Permission
    build: Builder
    special: str = ""  # a rule beside the matrix, stated; `allowed` then says who may
    allowed: Callable[[Role], bool] | None = None
    scenario: str = ""

    @property
    def id(self) -> str:
        return f"{self.function}[{self.scenario}]" if self.scenario else self.function

    def may(self, role: Role) -> bool:
        if self.allowed is not None:
            return self.allowed(role)
        return self.permission in PERMISSIONS[role]

    def call(self) -> Callable[..., Any]:
        module, name = self.function.split(".")
        return getattr(globals()[module], name)


def _has(*permissions: Permission) -> Callable[[Role], bool]:
    return lambda role: any(p in PERMISSIONS[role] for p in permissions)


CASES = [
    # pickups
    Case("pickups.log_pickup", Permission.pickups, _log_pickup),
    Case("pickups.update_pickup", Permission.pickups, _update_pickup),
    Case("pickups.delete_pickup", Permission.pickups, _delete_pickup),
    Case("pickups.update_crate_kind_weights", Permission.settings, _kind_weights),
    Case("pickups.update_market", Permission.settings, _update_market),
    # crates
    Case("crates.sort_lot", Permission.pickups, _sort_lot),
    Case("crates.set_outcome", Permission.pickups, _set_outcome),
    # builds
    Case("builds.save_design", Permission.builds, _save_design),
    Case("builds.create_build", Permission.builds, _create_build),
    Case("builds.set_status", Permission.builds, _set_status),
    Case("builds.delete_build", Permission.builds, _delete_build),
    Case("builds.add_photo", Permission.builds, _add_photo),
    Case("builds.set_design_photo", Permission.builds, _design_photo),
    Case("builds.attach_crate", Permission.scan, _attach_crate),
    Case("builds.undo_last", Permission.scan, _undo_last),
    # hours
    Case("hours.create_trainee", Permission.hours, _create_trainee),
    Case("hours.update_trainee", Permission.hours, _update_trainee),
    Case(
        "hours.record_hours",
        Permission.hours,
        _record_hours_other,
        scenario="someone else's record",
        special="a trainee may only enter hours on their own record",
    ),
    Case(
        "hours.record_hours",
        Permission.hours,
        _record_hours_own,
        scenario="the trainee's own record",
        special="own_hours: a trainee enters hours on their own record",
        allowed=_has(Permission.hours, Permission.own_hours),
    ),
    Case("hours.correct_entry", Permission.hours, _correct_entry),
    Case(
        "hours.correct_entry",
        Permission.hours,
        _correct_own_entry,
        scenario="the trainee's own entry",
        special="own_hours does not let a trainee correct their own entries",
    ),
    Case("hours.reject_entry", Permission.hours, _reject_entry),
    Case("hours.approve_week", Permission.hours, _approve_week),
    Case(
        "hours.approve_week",
        Permission.hours,
        _approve_own_week,
        scenario="the trainee's own week",
        special="a trainee must not approve their own hours (issue 8)",
    ),
    Case("hours.reopen_week", Permission.locked_hours, _reopen_week),
    Case(
        "hours.anonymise_expired",
        Permission.settings,
        _anonymise,
        special="actor None (the command line) is not checked; a user needs settings",
    ),
    # venues
    Case("venues.record_month", Permission.venues, _record_month),
    Case("venues.import_csv", Permission.venues, _import_csv),
    # imports
    Case("pickup_import.import_pickups", Permission.pickups, _import_pickups),
    # accounts
    Case("accounts.create_user", Permission.manage_users, _create_user),
    Case("accounts.reset_password", Permission.manage_users, _reset_password),
    Case("accounts.set_active", Permission.manage_users, _set_active),
    Case("accounts.set_email", Permission.manage_users, _set_email),
    Case("accounts.set_role", Permission.manage_users, _set_role),
    Case("accounts.unlock_sign_in", Permission.manage_users, _unlock),
    # sessions
    Case(
        "signin_tokens.sign_out_everywhere",
        Permission.manage_users,
        _sign_out_other,
        scenario="another user",
    ),
    Case(
        "signin_tokens.sign_out_everywhere",
        Permission.manage_users,
        _sign_out_self,
        scenario="oneself",
        special="anyone may sign themself out everywhere",
        allowed=lambda role: True,
    ),
    Case(
        "accounts.set_language",
        Permission.manage_users,
        _language,
        scenario="oneself",
        special="anyone signed in keeps their own language",
        allowed=lambda role: True,
    ),
    # the shop-floor tablet's address
    Case("signin_tokens.tablet_token", Permission.hours, _no_arguments),
    # backup
    Case("backup.create_backup", Permission.backup, _create_backup),
]


def test_the_table_covers_every_domain_write():
    """A new public function with `session` and `actor` must be added to CASES (or READS)."""
    written = {case.function for case in CASES}
    found = actor_domain_functions()
    assert found - written - READS - UNGUARDED == set(), "domain writes missing from CASES"
    assert written | READS | UNGUARDED <= found, "names in the table that no longer exist"
    assert not written & READS and not written & UNGUARDED
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", [c for c in CASES if c.allowed is None], ids=lambda c: c.id)
def test_needed_permission_is_the_one_design_section_7_gives(case):
    """Who may call the write, by the matrix in code, is DESIGN §7's row for that action."""
    assert {r for r in Role if case.may(r)} == factories.DESIGN_MATRIX[case.permission]


def test_special_rules_say_who_may():
    """Roles the special cases allow (beside the matrix), spelled out."""
    expected = {
        "hours.record_hours[the trainee's own record]": {Role.admin, Role.lead, Role.trainee},
        "signin_tokens.sign_out_everywhere[oneself]": set(Role),
        "accounts.set_language[oneself]": set(Role),
    }
    got = {c.id: {r for r in Role if c.may(r)} for c in CASES if c.allowed is not None}
    assert got == expected
    assert all(c.special for c in CASES if c.allowed is not None)


# --- walking the matrix ------------------------------------------------------------------


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (so also every count), sorted."""
    with engine.connect() as conn:
        return {
            table: sorted(
                (tuple(map(repr, row)) for row in conn.execute(text(f'SELECT * FROM "{table}"'))),
            )
            for table in sa_inspect(conn).get_table_names()
        }


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def world(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    # Photos and backups go under the data folder: a folder of this test's own.
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    users = {role: factories.user(engine, role, f"{role.value}-matrix") for role in Role}
    disabled = factories.user(engine, Role.admin, "admin-disabled", active=False)
    with db.write_session(engine) as session:
        programme_id = hours.programmes(session=session)[0].id or 0
        own = Trainee(
            display_name="Inès T.",
            programme_id=programme_id,
            start_date=TODAY - timedelta(days=365),
            badge_code=codes.mint("B"),
            user_id=users[Role.trainee].id,
        )
        session.add(own)
        session.flush()
    return World(engine, users, disabled, own)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_domain_write_for_every_role(world, case, tmp_path):
    call = case.call()
    actors = [*((role, world.users[role]) for role in Role)]
    if case.allowed is None:  # a disabled account has no permission at all
        actors.append((None, world.disabled_admin))
    for role, actor in actors:
        args = case.build(world, actor)
        before, files_before = _snapshot(world.engine), _files(tmp_path / "data")
        allowed = role is not None and case.may(role)
        label = f"{case.id} as {role.value if role else 'disabled admin'}"
        if allowed:
            with db.write_session(world.engine) as session:
                call(session=session, actor=actor, **args)
            assert _snapshot(world.engine) != before, f"{label}: allowed but wrote nothing"
        else:
            with pytest.raises(PermissionDenied), db.write_session(world.engine) as session:
                call(session=session, actor=actor, **args)
            assert _snapshot(world.engine) == before, f"{label}: refused but changed the database"
            assert _files(tmp_path / "data") == files_before, f"{label}: refused but wrote files"


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.function not in NO_ACTOR_ALLOWED],
    ids=lambda c: c.id,
)
def test_no_actor_is_refused_with_the_permission_error(world, case, tmp_path):
    """Hardening 9: a write called without an actor refuses as any write does (no crash)."""
    args = case.build(world, world.admin)
    before, files_before = _snapshot(world.engine), _files(tmp_path / "data")
    with pytest.raises(PermissionDenied), db.write_session(world.engine) as session:
        case.call()(session=session, actor=None, **args)
    assert _snapshot(world.engine) == before
    assert _files(tmp_path / "data") == files_before


def test_first_admin_only_while_there_are_no_users(engine):
    """accounts.create_first_admin takes no actor: it is refused once any user exists."""
    factories.user(engine, Role.market_manager)
    before = _snapshot(engine)
    with pytest.raises(PermissionDenied), db.write_session(engine) as session:
        accounts.create_first_admin(
            session=session, username="intrus", display_name="Intrus", password="long-enough"
        )
    assert _snapshot(engine) == before


def test_the_walk_covers_every_role_and_permission_of_a_write():
    """Every role is walked, and each permission a write needs is refused to someone."""
    assert set(PERMISSIONS) == set(Role)
    for permission in {c.permission for c in CASES}:
        assert {r for r in Role if permission not in PERMISSIONS[r]}, permission
