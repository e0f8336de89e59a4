"""The audit log is append-only: one writer that only inserts, and readers that only read."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

WRITES = re.compile(
    r"(update|delete|insert)\s*\(\s*AuditEvent"  # update(AuditEvent)… statements
    r"|AuditEvent\b[^\n]*\.(update|delete)\("  # query(AuditEvent).delete()
    r"|session\.(get|merge)\(\s*AuditEvent"  # loaded one by one to be changed
    r"|session\.delete\(\s*\w*event\b"  # session.delete(event)
    r"|(?i:(update|delete\s+from)\s+\W?auditevent)"  # raw SQL
)


def test_audit_log_has_no_update_or_delete_path():
    """`audit.record` is the only writer of AuditEvent, and it only inserts; others only read."""
    for path in (ROOT / "workshop").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not WRITES.search(text), path
        if path.name not in ("audit.py", "models.py"):
            assert not re.search(r"\bAuditEvent\(", text), path  # no event made elsewhere
    audit_py = (ROOT / "workshop" / "audit.py").read_text(encoding="utf-8")
    assert "delete(" not in audit_py and "update(" not in audit_py and "merge(" not in audit_py
    assert audit_py.count("session.add(event)") == 1  # the only AuditEvent it adds
    reader = (ROOT / "workshop" / "audit_log.py").read_text(encoding="utf-8")
    assert "session.add" not in reader and "delete(" not in reader and "update(" not in reader
    # The restore empties tables only in a database with no audit event (backup.IN_USE_TABLES).
    from workshop import backup

    assert "auditevent" in backup.IN_USE_TABLES
