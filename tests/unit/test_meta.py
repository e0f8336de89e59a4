"""Cross-cutting: conventions kept honest by tests (DESIGN §8.7), test files mirroring modules."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

from workshop import i18n
from workshop.ui import nav

ROOT = Path(__file__).resolve().parents[2]
WORKSHOP = ROOT / "workshop"
UI = WORKSHOP / "ui"
TESTS = ROOT / "tests"
UNIT = TESTS / "unit"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_streamlit_only_in_app_and_ui():
    offenders = [
        str(path.relative_to(ROOT))
        for path in WORKSHOP.rglob("*.py")
        if UI not in path.parents and "streamlit" in _imports(path)
    ]
    assert offenders == []


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_catalogs_have_the_same_keys_and_placeholders():
    fr, en = i18n.catalog("fr"), i18n.catalog("en")
    assert sorted(set(fr) - set(en)) == []
    assert sorted(set(en) - set(fr)) == []
    mismatched = [k for k in fr if _placeholders(fr[k]) != _placeholders(en[k])]
    assert mismatched == []


KEY_LITERAL = re.compile(r"[\"']([a-z_]+(?:\.[a-z_0-9]+)+)[\"']")


def test_every_key_used_in_code_is_in_both_catalogs():
    """Literal keys in t()/flash()/errors/nav; dynamic ones (role.*, day.*…) are checked below."""
    sections = {key.split(".")[0] for key in i18n.catalog("fr")}
    used: dict[str, str] = {}
    for path in [ROOT / "app.py", *WORKSHOP.rglob("*.py")]:
        for match in KEY_LITERAL.finditer(path.read_text(encoding="utf-8")):
            key = match.group(1)
            if key.split(".")[0] in sections and not key.endswith((".py", ".html")):
                used[key] = str(path.relative_to(ROOT))
    for lang in i18n.LANGUAGES:
        missing = {k: f for k, f in used.items() if k not in i18n.catalog(lang)}
        assert missing == {}, lang
    assert len(used) > 100  # the scan really finds the keys


def test_dynamic_keys_exist():
    from workshop.models import Role
    from workshop.pickups import WEEKDAYS

    keys = [f"role.{r.value}" for r in Role] + [f"home.intro.{r.value}" for r in Role]
    keys += [f"day.{d}" for d in WEEKDAYS] + ["chart.weighed", "chart.estimated"]
    keys += [f"nav.section.{s}" for s in nav.SECTIONS if s]
    for lang in i18n.LANGUAGES:
        assert [k for k in keys if k not in i18n.catalog(lang)] == []


def test_domain_errors_have_messages():
    from workshop import errors

    for cls in vars(errors).values():
        if isinstance(cls, type) and issubclass(cls, errors.DomainError):
            assert cls.key in i18n.catalog("fr") and cls.key in i18n.catalog("en"), cls


def test_every_page_has_a_ui_test():
    ui_tests = "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "tests" / "ui").glob("test_*.py")
    )
    pages = [*nav.SIGNED_IN_PAGES, nav.SIGN_IN, nav.FIRST_ADMIN, nav.SUMMARY]
    files = {p.name for p in (UI / "pages").glob("*.py")}
    assert files == {spec.file for spec in pages}  # no page file outside the navigation
    assert [spec.file for spec in pages if spec.file not in ui_tests] == []


# Files that pass a fixed <style> (a module constant, no text from anyone) to st.html.
STATIC_STYLES = {"numbers.py", "shop_floor.py"}


def test_no_unsafe_html():
    # One exception: the app's own <style> sheet (common.page_style), a constant whose only
    # inserts are catalog words escaped as CSS strings.
    for path in [ROOT / "app.py", *UI.rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "unsafe_allow_html" not in text, path
        if path.name in STATIC_STYLES:
            assert re.findall(r"\.html\(([^)]*)\)", text) == ["_CSS"], path
        elif path == UI / "common.py":
            assert text.count("st.html") == 1, path
        else:
            assert "st.html" not in text and ".html(" not in text, path
    from workshop.ui import common

    sheet = common._PAGE_CSS.template
    assert sheet.startswith("<style>") and sheet.endswith("</style>")
    assert (
        sheet.count("<") == 2 and "st.html(_PAGE_CSS.substitute(" in (UI / "common.py").read_text()
    )
    assert common._css_text('a"b\\c</style>') == '"a\\"b\\\\c\\3c /style>"'


# Calls that read the server's clock or its time zone: only workshop/dates.py may.
CLOCK_CALLS = {
    ("date", "today"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("time", "localtime"),
    ("time", "strftime"),
}


def _clock_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
            if (name, node.func.attr) in CLOCK_CALLS:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}.{node.func.attr}()")
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "ZoneInfo":
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} ZoneInfo()")
    return found


def test_one_clock_only_dates_reads_the_time():
    sources = [ROOT / "app.py", *WORKSHOP.rglob("*.py")]
    offenders = [c for p in sources if p != WORKSHOP / "dates.py" for c in _clock_calls(p)]
    assert offenders == []
    assert _clock_calls(WORKSHOP / "dates.py")  # the check does see such calls


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _workshop_imports(path: Path, modules: set[str]) -> set[str]:
    """The workshop modules `path` imports (at its top or inside a function)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                # `from workshop.hours import rules` is the submodule, not the package.
                found.add(full if full in modules else node.module)
    return found & modules


def test_no_import_cycle():
    paths = {_module_name(p): p for p in WORKSHOP.rglob("*.py")}
    graph = {name: _workshop_imports(path, set(paths)) - {name} for name, path in paths.items()}
    cycles = []

    def visit(name: str, trail: list[str]) -> None:
        for nxt in sorted(graph[name]):
            if nxt in trail:
                cycles.append(" -> ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in done:
                visit(nxt, [*trail, nxt])
        done.add(name)

    done: set[str] = set()
    for name in sorted(graph):
        if name not in done:
            visit(name, [name])
    assert cycles == []
    assert "workshop.db" in graph["workshop.schema"] | graph["workshop.restore"]  # it sees imports


# What a page may not do: run SQL or read rows itself (one domain call instead).
SQL_IN_PAGES = re.compile(
    r"\bselect\(|\bsession\.(exec|get|execute|query|scalar)\(|sqlmodel|sqlalchemy"
)


def test_pages_run_no_sql():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in [ROOT / "app.py", *UI.rglob("*.py")]
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if SQL_IN_PAGES.search(line) and not line.lstrip().startswith("#")
    ]
    # common.py opens the sessions the pages hand to domain calls, and no more.
    allowed = {"from sqlalchemy import Engine", "from sqlmodel import Session"}
    assert [o for o in offenders if o.split(": ", 1)[1] not in allowed] == []


# --- Test files mirror the modules --------------------------------------------------------

# Modules with nothing to test on their own, and why.
NO_TEST_FILE = {
    "workshop.__main__": "only calls cli.main (test_cli runs `python -m workshop`)",
    "workshop.errors": "declarations; test_domain_errors_have_messages checks each has a message",
    "workshop.models": "tables; test_schema checks that the migrations match them",
}
# Test files that are no one module's: each covers a concern across modules.
CROSS_CUTTING = {
    "test_meta.py": "conventions",
    "test_role_matrix.py": "every domain write × every role",
    "test_concurrency.py": "many writers at once",
    "test_crash.py": "the write path killed mid-stream",
    "test_tallies.py": "the tallies the database triggers keep",
    "test_benchmarks.py": "every benchmark still starts",
}


def _expected_test_files() -> dict[str, str]:
    """tests/unit file name → module, for every module and package part outside workshop/ui.

    `workshop/<module>.py` → test_<module>.py, `workshop/<package>/<part>.py` →
    test_<package>_<part>.py.
    """
    expected = {}
    for path in sorted(WORKSHOP.rglob("*.py")):
        parts = path.relative_to(WORKSHOP).with_suffix("").parts
        if parts[0] == "ui" or parts[-1] == "__init__":
            continue
        expected[f"test_{'_'.join(parts)}.py"] = ".".join(("workshop", *parts))
    return expected


def test_every_module_has_its_test_file_and_every_test_file_its_module():
    expected = _expected_test_files()
    present = {p.name for p in UNIT.glob("test_*.py")}
    missing = [m for f, m in expected.items() if f not in present and m not in NO_TEST_FILE]
    assert missing == []
    # An exception is for a module that exists and still has no test file.
    assert sorted(set(NO_TEST_FILE) - set(expected.values())) == []
    assert [m for f, m in expected.items() if m in NO_TEST_FILE and f in present] == []
    # A test file named after no module (renamed, removed, or a new concern) is caught.
    assert sorted(present - set(expected) - set(CROSS_CUTTING)) == []
    assert sorted(set(CROSS_CUTTING) - present) == [] and not set(CROSS_CUTTING) & set(expected)
    for name in CROSS_CUTTING:  # and they say so
        doc = ast.get_docstring(ast.parse((UNIT / name).read_text(encoding="utf-8"))) or ""
        assert doc.startswith("Cross-cutting") or "\nCross-cutting" in doc, name
    # The scan sees modules and package parts.
    assert {"test_codes.py", "test_hours_kiosk.py", "test_builds_passport.py"} <= set(expected)


def _imported(path: Path) -> set[str]:
    """Every dotted name `path` imports (relative imports resolved)."""
    package = path.relative_to(ROOT).parent.parts
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


IMPORTED_TEST_FILE = re.compile(r"tests\.(unit|ui|e2e)\.test_\w+")


def test_no_test_file_imports_another():
    """Shared helpers live in tests/factories.py (fixtures in conftest.py), not in a test file."""
    imports = {p: _imported(p) for p in TESTS.rglob("*.py")}
    offenders = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path, names in imports.items()
        for name in names
        if IMPORTED_TEST_FILE.match(name)
    )
    assert offenders == []
    assert "tests.factories" in imports[UNIT / "test_crates.py"]
