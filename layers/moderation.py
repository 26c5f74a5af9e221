"""Moderation of reports from outside the staff's own entry (residents' form, EST, safety walks):
the queue and the moderator's decisions, each audit-logged with the moderator's name.

Decisions (only for reports with a `moderation` state; imports and staff entries have none):

* `approve`: väntar → godkänd; from then on the report counts in every view (a report for a
  period already released enters at the release's next revision, as any late report does).
* `reject` with a reason: → avvisad, the reason in `moderation_note` (moderators only); the
  case is closed, so the reporter's contact is deleted.
* `merge` as a duplicate of a kept report: → avvisad (a duplicate is never counted) with
  `duplicate_of` set; the resident's status page then follows the kept report.
* `edit_text`: replace the description (e.g. to remove a name or a phone number before
  approving). The description is the report's only free text; reduced roles never see it,
  the roles with free text see the edited one. The old text is not kept, nor logged.
* `reply`: the municipality's public reply (shown on the status page) and the report's
  status (ny → bekräftad/åtgärdad/avvisad), for a report that moderation has let through.
  åtgärdad/avvisad close the case: the contact of the report and of its duplicates is deleted.

Who may moderate what: a role moderates the layers its policy shows as points with free text
(polis, admin: every layer; moderator: otrygga platser and hastighet, never narcotics). A report
in another layer is, for that role, a report that does not exist. The audit entries carry the
moderator, the report id and the decision, never the reporter's address, email or text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geodata import to_wgs84

from .audit import AuditLog
from .datafile import reading, writing
from .gpkg import blobs_to_xy
from .intake_schema import CONTACTS
from .messages import template
from .privacy_policy import ADMIN, POINTS, Policy, PrivacySettings, policy
from .schema import MAX_DESCRIPTION, REPORT_STATUSES

PENDING, APPROVED, REJECTED = "väntar", "godkänd", "avvisad"
#: Report statuses that close a case (the contact is deleted).
CLOSED_STATUSES = ("åtgärdad", "avvisad")
MAX_REASON = 500
MAX_REPLY = 2000
ACTIONS = ("approve", "reject", "merge", "edit_text", "reply")
QUEUE_COLUMNS = ("id", "ref", "layer", "category", "occurred_at", "reported_at", "source", "status",
                 "moderation", "description", "reporter", "walk_id", "public_reply", "moderation_note",
                 "duplicate_of", "lon", "lat")


class ModerationError(ValueError):
    """A decision that cannot be made: one message naming the report and the reason."""

    def __init__(self, key: str, **values):
        self.key, self.values = key, values
        super().__init__(self.text("en"))

    def text(self, lang: str = "sv") -> str:
        return template(self.key, "en" if lang == "en" else "sv").format(**self.values)


@dataclass(frozen=True)
class Moderator:
    """Who decides: the user name (for the audit log) and their role's policy."""

    user: str
    role: str
    policy: Policy

    @classmethod
    def of(cls, user: str, role: str, settings: PrivacySettings | None = None, layers=None) -> Moderator:
        return cls(user=str(user or ""), role=role, policy=policy(role, settings, layers))


def _plain(text) -> str:
    """A moderator's text without control characters (newlines and tabs kept), as the residents'
    form cleans theirs: an escape sequence in an edited description, a reason or a reply would
    run in the terminal of `trygghetskarta moderate list` and of anyone printing the export."""
    return "".join(ch for ch in str(text or "") if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()


def may_moderate(pol: Policy) -> bool:
    """Whether a role has a queue at all: free text and some layer as points."""
    return pol.free_text and any(mode == POINTS for mode in pol.layers.values())


def moderated_layers(pol: Policy) -> tuple[str, ...]:
    """The layers a role moderates: those it sees as points with free text."""
    return tuple(lid for lid, mode in pol.layers.items() if mode == POINTS) if pol.free_text else ()


def _check(who: Moderator) -> tuple[str, ...]:
    if not may_moderate(who.policy):
        raise ModerationError("moderation_role", role=who.role)
    return moderated_layers(who.policy)


def queue(store, who: Moderator, *, include_decided: bool = False) -> pd.DataFrame:
    """The pending reports the role moderates, oldest first (by reported_at, then insertion), with
    lon/lat; `include_decided`: every report with a moderation state (the admin's export)."""
    layers = _check(who)
    columns = [c for c in QUEUE_COLUMNS if c not in ("lon", "lat")]
    if not layers:
        return pd.DataFrame(columns=list(QUEUE_COLUMNS))
    marks = ", ".join("?" * len(layers))
    state = "moderation IS NOT NULL" if include_decided else "moderation = ?"
    params = (*layers,) if include_decided else (*layers, PENDING)
    with reading(store.path) as conn:
        rows = conn.execute(f"SELECT geometry, {', '.join(columns)} FROM reports WHERE layer IN ({marks}) AND {state}"
                            " ORDER BY reported_at, fid", params).fetchall()
    frame = pd.DataFrame([r[1:] for r in rows], columns=columns)
    x, y = blobs_to_xy([r[0] for r in rows])
    lon, lat = to_wgs84(np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")) if rows else ([], [])
    frame["lon"] = np.asarray(lon, dtype="float64")
    frame["lat"] = np.asarray(lat, dtype="float64")
    for name in ("ref", "description", "reporter", "walk_id", "public_reply", "moderation_note", "duplicate_of"):
        frame[name] = frame[name].fillna("")
    if who.role == ADMIN:
        # The contact is the admin's alone (issue 14): no other role's queue carries it.
        with reading(store.path) as conn:
            found = dict(conn.execute(f"SELECT report_id, email FROM {CONTACTS}").fetchall())
        frame["email"] = frame["id"].map(found).fillna("")
    return frame.reset_index(drop=True)


def pending_count(store, who: Moderator) -> int:
    """How many reports wait for this role's decision."""
    layers = moderated_layers(who.policy) if may_moderate(who.policy) else ()
    if not layers:
        return 0
    with reading(store.path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM reports WHERE moderation = ? AND layer IN "
                                f"({', '.join('?' * len(layers))})", (PENDING, *layers)).fetchone()[0])


def _row(conn, who: Moderator, report_id: str) -> dict:
    layers = _check(who)
    row = conn.execute("SELECT id, layer, moderation, status, duplicate_of, ref FROM reports WHERE id = ?",
                       (str(report_id),)).fetchone()
    # A report in a layer the role does not moderate is, for it, no report at all.
    if row is None or row[1] not in layers:
        raise ModerationError("moderation_no_report", id=report_id)
    rid, layer, moderation, status, duplicate_of, ref = row
    if moderation is None:
        raise ModerationError("moderation_not_moderated", id=rid)
    return {"id": rid, "layer": layer, "moderation": moderation, "status": status,
            "duplicate_of": duplicate_of, "ref": ref}


def _touch(conn, report: dict | None = None) -> None:
    # A running dashboard re-reads when reports change: an approval changes what it counts.
    # A decision on a report that is not counted (pending, rejected, merged) changes no view:
    # marking the table changed would tell every open page, a bra screen too, that it happened.
    if report is not None and report["moderation"] != APPROVED:
        return
    conn.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
                 " WHERE table_name = 'reports'")


def _log(store, who: Moderator, action: str, report: dict, **detail) -> None:
    AuditLog(store).append("moderate", user=who.user, role=who.role,
                           detail={"action": action, "id": report["id"], "layer": report["layer"], **detail})


def _close_contacts(conn, report_ids) -> int:
    ids = [str(i) for i in report_ids]
    return conn.execute(f"DELETE FROM {CONTACTS} WHERE report_id IN ({', '.join('?' * len(ids))})",
                        ids).rowcount


def approve(store, who: Moderator, report_id: str) -> None:
    """väntar → godkänd: the report counts from now on."""
    with writing(store.path) as conn:
        report = _row(conn, who, report_id)
        if report["moderation"] != PENDING:
            raise ModerationError("moderation_not_pending", id=report["id"], state=report["moderation"])
        conn.execute("UPDATE reports SET moderation = ? WHERE id = ?", (APPROVED, report["id"]))
        _touch(conn)
    _log(store, who, "approve", report)


def reject(store, who: Moderator, report_id: str, reason: str) -> None:
    """väntar → avvisad with the reason (moderators only read it); the contact is deleted."""
    reason = _plain(reason)
    if not reason:
        raise ModerationError("moderation_reason_missing", id=report_id)
    if len(reason) > MAX_REASON:
        raise ModerationError("moderation_too_long", id=report_id, n=MAX_REASON)
    with writing(store.path) as conn:
        report = _row(conn, who, report_id)
        if report["moderation"] != PENDING:
            raise ModerationError("moderation_not_pending", id=report["id"], state=report["moderation"])
        conn.execute("UPDATE reports SET moderation = ?, moderation_note = ? WHERE id = ?",
                     (REJECTED, reason, report["id"]))
        closed = _close_contacts(conn, [report["id"]])
        _touch(conn, report)
    _log(store, who, "reject", report, contact_deleted=bool(closed))


def merge(store, who: Moderator, report_id: str, into: str) -> str:
    """A pending report as a duplicate of `into` (followed to the report it was itself merged
    into): avvisad, never counted, `duplicate_of` set. Returns the kept report's id."""
    with writing(store.path) as conn:
        report = _row(conn, who, report_id)
        if report["moderation"] != PENDING:
            raise ModerationError("moderation_not_pending", id=report["id"], state=report["moderation"])
        kept = conn.execute("SELECT id, layer, moderation, duplicate_of FROM reports WHERE id = ?",
                            (str(into),)).fetchone()
        seen = set()
        while kept is not None and kept[3] and kept[0] not in seen:
            seen.add(kept[0])
            kept = conn.execute("SELECT id, layer, moderation, duplicate_of FROM reports WHERE id = ?",
                                (kept[3],)).fetchone()
        if kept is None or kept[1] not in moderated_layers(who.policy):
            raise ModerationError("moderation_no_report", id=into)
        if kept[0] == report["id"]:
            raise ModerationError("moderation_merge_self", id=report["id"])
        if kept[2] == REJECTED:
            raise ModerationError("moderation_merge_rejected", id=report["id"], into=kept[0])
        conn.execute("UPDATE reports SET moderation = ?, duplicate_of = ?, moderation_note = ? WHERE id = ?",
                     (REJECTED, kept[0], template("moderation_note_duplicate", "sv").format(into=kept[0]),
                      report["id"]))
        _touch(conn, report)
    _log(store, who, "merge", report, into=kept[0])
    return str(kept[0])


def edit_text(store, who: Moderator, report_id: str, text: str) -> None:
    """Replace the description (its only free text). Logged with the lengths, never the text."""
    text = _plain(text)
    if len(text) > MAX_DESCRIPTION:
        raise ModerationError("moderation_too_long", id=report_id, n=MAX_DESCRIPTION)
    with writing(store.path) as conn:
        report = _row(conn, who, report_id)
        old = conn.execute("SELECT coalesce(description, '') FROM reports WHERE id = ?", (report["id"],)).fetchone()[0]
        conn.execute("UPDATE reports SET description = ? WHERE id = ?", (text, report["id"]))
        _touch(conn, report)
    _log(store, who, "edit_text", report, chars_before=len(old), chars_after=len(text))


def reply(store, who: Moderator, report_id: str, text: str | None = None, status: str | None = None) -> None:
    """The public reply (None: unchanged) and the report's status (None: unchanged) of a report
    moderation let through; åtgärdad/avvisad close the case and delete its contacts (its
    duplicates' too, whose status pages follow it)."""
    if status is not None and status not in REPORT_STATUSES:
        raise ModerationError("moderation_bad_status", id=report_id, status=status,
                              known=", ".join(REPORT_STATUSES))
    if text is not None:
        text = _plain(text)
        if len(text) > MAX_REPLY:
            raise ModerationError("moderation_too_long", id=report_id, n=MAX_REPLY)
    with writing(store.path) as conn:
        report = _row(conn, who, report_id)
        if report["moderation"] != APPROVED and status not in (None, "ny"):
            raise ModerationError("moderation_not_approved", id=report["id"], state=report["moderation"])
        if text is not None:
            conn.execute("UPDATE reports SET public_reply = ? WHERE id = ?", (text, report["id"]))
        if status is not None:
            conn.execute("UPDATE reports SET status = ? WHERE id = ?", (status, report["id"]))
        closed = 0
        if status in CLOSED_STATUSES:
            dupes = [r[0] for r in conn.execute("SELECT id FROM reports WHERE duplicate_of = ?", (report["id"],))]
            closed = _close_contacts(conn, [report["id"], *dupes])
        _touch(conn, report)
    _log(store, who, "reply", report, status=status, reply_chars=None if text is None else len(text),
         contacts_deleted=closed)


__all__ = ["ACTIONS", "APPROVED", "CLOSED_STATUSES", "MAX_REASON", "MAX_REPLY", "PENDING", "QUEUE_COLUMNS",
           "REJECTED", "ModerationError", "Moderator", "approve", "edit_text", "may_moderate",
           "merge", "moderated_layers", "pending_count", "queue", "reject", "reply"]
