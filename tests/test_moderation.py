"""The moderation queue and decisions (layers.moderation) on hand-made data: who sees which
pending reports, oldest first; approve, reject, merge, edit the text, reply and status; the
contact deleted when a case closes; every decision in the audit log without the reporter's
address, email or text."""

from __future__ import annotations

import sqlite3

import pytest
from shapely import Point

from layers import GeoPackageStore
from layers.audit import read_audit
from layers.imports.sources.resident_form import insert_intake_report, status_of
from layers.moderation import (
    ModerationError,
    Moderator,
    approve,
    edit_text,
    merge,
    pending_count,
    queue,
    reject,
    reply,
)
from tests.helpers import VAGGERYD, report, reports_frame

EMAIL = "boende@example.se"
SECRET_TEXT = "Grannen Nils Nilsson 070-1234567 står här varje kväll"


def intake(i, layer="otrygg_plats", when="2026-11-02T18:30:00+01:00", moderation="väntar", **extra):
    row = report(i, layer=layer, focus="narkotika" if layer == "narkotika" else
                 ("trafik" if layer == "hastighet" else "trygghet"), when=when, **extra)
    row["id"], row["moderation"] = f"m-{i}", moderation
    return row


@pytest.fixture
def store(tmp_path):
    store = GeoPackageStore.create(tmp_path / "m.gpkg", kommun="0665")
    store.add_reports(reports_frame([report(1, when="2026-10-01T10:00:00+02:00"),
                                     report(2, when="2026-10-02T10:00:00+02:00")]))
    # Inserted out of time order: the queue sorts by the day they came in.
    insert_intake_report(store, {**intake(3, when="2026-11-03T09:00:00+01:00"), "ref": "VGR-2026-CCCCCCCC",
                                 "email": EMAIL, "description": SECRET_TEXT})
    insert_intake_report(store, {**intake(1, when="2026-11-01T09:00:00+01:00"), "ref": "VGR-2026-AAAAAAAA"})
    insert_intake_report(store, {**intake(2, layer="hastighet", when="2026-11-02T09:00:00+01:00",
                                          at=VAGGERYD), "ref": "VGR-2026-BBBBBBBB", "email": "b@example.se"})
    # An EST reporter's "droghantering observerad": the narcotics layer, police only.
    insert_intake_report(store, {**intake(4, layer="narkotika", when="2026-11-02T12:00:00+01:00"),
                                 "source": "est", "reporter": "erik"})
    return store


def who(role, user=None):
    return Moderator.of(user or f"{role}-user", role)


def contacts(store):
    with sqlite3.connect(store.path) as conn:
        return dict(conn.execute("SELECT report_id, email FROM report_contacts").fetchall())


def test_the_queue_is_the_pending_reports_of_the_layers_a_role_moderates_oldest_first(store):
    assert queue(store, who("moderator"))["id"].tolist() == ["m-1", "m-2", "m-3"]
    for role in ("polis", "admin"):
        assert queue(store, who(role))["id"].tolist() == ["m-1", "m-2", "m-4", "m-3"]
    assert pending_count(store, who("moderator")) == 3 and pending_count(store, who("polis")) == 4
    assert pending_count(store, who("bra")) == 0
    for role in ("bra", "allmanhet", "rapportor"):
        with pytest.raises(ModerationError, match=f"The role {role} moderates no reports"):
            queue(store, who(role))


def test_only_the_admin_queue_carries_the_contact(store):
    admin = queue(store, who("admin")).set_index("id")
    assert admin.loc["m-3", "email"] == EMAIL and admin.loc["m-1", "email"] == ""
    for role in ("moderator", "polis"):
        frame = queue(store, who(role))
        assert "email" not in frame.columns and EMAIL not in frame.to_json()
    # The moderator reads the text exactly: it moderates it.
    assert queue(store, who("moderator")).set_index("id").loc["m-3", "description"] == SECRET_TEXT


def test_approval_makes_a_report_count_and_is_logged_with_the_moderator(store):
    assert sorted(store.read_table("reports")["id"]) == ["t-1", "t-2"]
    assert len(store.read_table("reports", uncounted=True)) == 6
    approve(store, who("moderator", "mona"), "m-1")
    assert sorted(store.read_table("reports")["id"]) == ["m-1", "t-1", "t-2"]
    assert len(store.reports()) == 3
    assert queue(store, who("moderator"))["id"].tolist() == ["m-2", "m-3"]
    log = read_audit(store, event="moderate")
    assert log[["user", "role", "address"]].values.tolist() == [["mona", "moderator", ""]]
    assert log["detail"].iloc[0] == {"action": "approve", "id": "m-1", "layer": "otrygg_plats"}
    with pytest.raises(ModerationError, match=r"Report m-1 is not waiting for moderation \(it is godkänd\)"):
        approve(store, who("moderator"), "m-1")


def test_a_moderator_cannot_touch_a_narcotics_report_nor_a_staff_entry(store):
    with pytest.raises(ModerationError, match="No report with id m-4 to moderate"):
        approve(store, who("moderator"), "m-4")
    with pytest.raises(ModerationError, match="No report with id nope to moderate"):
        approve(store, who("moderator"), "nope")
    with pytest.raises(ModerationError, match="Report t-1 was entered by staff or imported"):
        approve(store, who("polis"), "t-1")
    with pytest.raises(ModerationError, match="The role bra moderates no reports"):
        approve(store, who("bra"), "m-1")
    approve(store, who("polis"), "m-4")
    assert "m-4" in set(store.read_table("reports")["id"])


def test_rejection_needs_a_reason_keeps_it_uncounted_and_deletes_the_contact(store):
    with pytest.raises(ModerationError, match="Give a reason for rejecting report m-3"):
        reject(store, who("moderator"), "m-3", "  ")
    assert contacts(store) == {"m-3": EMAIL, "m-2": "b@example.se"}
    reject(store, who("moderator", "mona"), "m-3", "Pekar ut en person")
    assert contacts(store) == {"m-2": "b@example.se"}
    assert "m-3" not in set(store.read_table("reports")["id"])
    decided = queue(store, who("moderator"), include_decided=True).set_index("id")
    assert decided.loc["m-3", ["moderation", "moderation_note"]].tolist() == ["avvisad", "Pekar ut en person"]
    assert status_of(store, "VGR-2026-CCCCCCCC")["state"] == "avvisad"
    entry = read_audit(store, event="moderate").iloc[-1]
    assert entry["detail"] == {"action": "reject", "id": "m-3", "layer": "otrygg_plats", "contact_deleted": True}
    text = read_audit(store).to_json(force_ascii=False)
    assert EMAIL not in text and "Nils" not in text


def test_a_merged_duplicate_is_not_counted_and_its_status_page_follows_the_kept_report(store):
    approve(store, who("moderator"), "m-1")
    kept = merge(store, who("moderator"), "m-3", into="m-1")
    assert kept == "m-1"
    assert sorted(store.read_table("reports")["id"]) == ["m-1", "t-1", "t-2"]
    assert status_of(store, "VGR-2026-CCCCCCCC")["state"] == "ny"
    assert status_of(store, "VGR-2026-CCCCCCCC")["merged"] is True
    # The duplicate's contact stays while the kept case is open, and goes when it closes.
    assert "m-3" in contacts(store)
    reply(store, who("moderator"), "m-1", "Belysningen är lagad.", "åtgärdad")
    assert status_of(store, "VGR-2026-AAAAAAAA") == {
        "ref": "VGR-2026-AAAAAAAA", "state": "åtgärdad", "layer": "Otrygga platser", "category": "belysning",
        "sent_on": "2026-11-01", "public_reply": "Belysningen är lagad.", "merged": False}
    assert status_of(store, "VGR-2026-CCCCCCCC")["state"] == "åtgärdad"
    assert "m-3" not in contacts(store)
    # A merge into a merged duplicate goes to the report it was merged into.
    approve(store, who("moderator"), "m-2")
    with pytest.raises(ModerationError, match="Report m-2 is not waiting"):
        merge(store, who("moderator"), "m-2", into="m-3")


def test_merge_refuses_itself_a_rejected_report_and_what_the_role_does_not_moderate(store):
    with pytest.raises(ModerationError, match="Report m-1 cannot be merged with itself"):
        merge(store, who("moderator"), "m-1", into="m-1")
    reject(store, who("moderator"), "m-2", "Fel kommun")
    with pytest.raises(ModerationError, match="Report m-2 is rejected: merge m-1 into a report that stands"):
        merge(store, who("moderator"), "m-1", into="m-2")
    with pytest.raises(ModerationError, match="No report with id m-4 to moderate"):
        merge(store, who("moderator"), "m-1", into="m-4")
    # The chain is followed: m-3 merged into m-1, then a merge into m-3 keeps m-1.
    merge(store, who("polis"), "m-3", into="m-1")
    assert merge(store, who("polis"), "m-4", into="m-3") == "m-1"


def test_the_edited_text_replaces_the_description_and_is_not_logged(store):
    edit_text(store, who("moderator", "mona"), "m-3", "Här står folk varje kväll")
    assert queue(store, who("moderator")).set_index("id").loc["m-3", "description"] == "Här står folk varje kväll"
    entry = read_audit(store, event="moderate").iloc[-1]
    assert entry["detail"] == {"action": "edit_text", "id": "m-3", "layer": "otrygg_plats",
                               "chars_before": len(SECRET_TEXT), "chars_after": 25}
    assert "Nils" not in read_audit(store).to_json(force_ascii=False)
    with pytest.raises(ModerationError, match=r"too long \(at most 4000 characters\)"):
        edit_text(store, who("moderator"), "m-3", "x" * 4001)


def test_reply_and_status_need_an_approved_report_and_a_known_status(store):
    with pytest.raises(ModerationError, match=r"Report m-1 is not approved \(väntar\): approve it before changing its status"):
        reply(store, who("moderator"), "m-1", "Tack", "bekräftad")
    reply(store, who("moderator"), "m-1", "Tack, vi tittar på det.")  # a reply alone is fine while pending
    assert status_of(store, "VGR-2026-AAAAAAAA")["public_reply"] == "Tack, vi tittar på det."
    assert status_of(store, "VGR-2026-AAAAAAAA")["state"] == "ny"
    approve(store, who("moderator"), "m-1")
    with pytest.raises(ModerationError, match="Unknown status klar for report m-1; choose one of ny, bekräftad"):
        reply(store, who("moderator"), "m-1", None, "klar")
    reply(store, who("moderator"), "m-1", None, "bekräftad")
    assert status_of(store, "VGR-2026-AAAAAAAA")["state"] == "bekräftad"
    assert store.read_table("reports").set_index("id").loc["m-1", "status"] == "bekräftad"
    # Not closed yet: the contact of m-2 is untouched by m-1's case.
    assert contacts(store) == {"m-3": EMAIL, "m-2": "b@example.se"}


def test_the_error_reads_in_swedish_for_the_app(store):
    with pytest.raises(ModerationError) as caught:
        reject(store, who("moderator"), "m-1", "")
    assert caught.value.text("sv") == "Skriv ett skäl för att avvisa rapporten m-1."


def test_a_pending_report_out_of_the_municipality_is_not_in_the_store_at_all(store):
    # insert_intake_report validates as the store does: the queue only ever holds valid rows.
    from layers import ValidationError

    with pytest.raises(ValidationError):
        insert_intake_report(store, {**intake(9), "geometry": Point(441733, 6338545)})
    assert len(queue(store, who("polis"))) == 4


# -- the CLI ------------------------------------------------------------------------------------

def _cli(*args):
    from click.testing import CliRunner

    from dashboard.cli import main

    return CliRunner().invoke(main, ["moderate", *args])


def test_cli_lists_oldest_first_and_decides_with_one_line_per_mistake(store):
    data = ["--data", str(store.path)]
    listed = _cli(*data, "--role", "moderator", "list")
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0] == "3 rapporter väntar på moderering (äldst först):"
    assert [line.split("  ")[0] for line in lines[1:]] == ["m-1", "m-2", "m-3"]
    assert lines[1].split("  ")[:3] == ["m-1", "VGR-2026-AAAAAAAA", "Otrygga platser"]
    assert [line.split("  ")[0] for line in _cli(*data, "list").output.splitlines()[1:]] == ["m-1", "m-2", "m-4", "m-3"]

    result = _cli(*data, "--user", "mona", "approve", "m-1")
    assert (result.exit_code, result.output) == (0, "Rapporten m-1 är godkänd och räknas nu.\n")
    assert read_audit(store, event="moderate")["user"].tolist() == ["mona"]
    result = _cli(*data, "--lang", "en", "approve", "m-1")
    assert result.exit_code == 1
    assert result.output == "Error: Report m-1 is not waiting for moderation (it is godkänd).\n"
    result = _cli(*data, "reject", "m-2", "--reason", "Fel kommun")
    assert (result.exit_code, result.output) == (0, "Rapporten m-2 är avvisad.\n")
    result = _cli(*data, "merge", "m-3", "--into", "m-1")
    assert (result.exit_code, result.output) == (0, "Rapporten m-3 är en dubblett av m-1 och räknas inte.\n")
    result = _cli(*data, "reply", "m-1", "--text", "Lampan är bytt.", "--status", "åtgärdad")
    assert (result.exit_code, result.output) == (0, "Svaret och statusen för rapporten m-1 är sparade.\n")
    assert status_of(store, "VGR-2026-CCCCCCCC")["state"] == "åtgärdad"
    assert contacts(store) == {}
    result = _cli(*data, "--role", "moderator", "approve", "m-4")
    assert (result.exit_code, result.output) == (1, "Error: Ingen rapport med id m-4 att moderera.\n")
    assert _cli(*data, "--role", "moderator", "list").output == "Inga rapporter väntar på moderering.\n"


def test_an_import_sees_the_id_of_a_pending_report_as_taken(store):
    from layers.imports import existing_ids

    assert existing_ids(store, "reports") == {"t-1", "t-2", "m-1", "m-2", "m-3", "m-4"}
    assert existing_ids(store, "reports", ["m-1", "x-9"]) == {"m-1"}


def test_cli_export_of_the_queue_is_excel_safe_and_has_the_contact_only_for_admin(store, tmp_path):
    import pandas as pd

    edit_text(store, who("polis"), "m-1", '=HYPERLINK("http://x")')
    data = ["--data", str(store.path)]
    for role, with_email in (("admin", True), ("moderator", False)):
        out = tmp_path / f"{role}.csv"
        result = _cli(*data, "--role", role, "export", str(out))
        assert result.exit_code == 0
        rows = pd.read_csv(out, sep=";", encoding="utf-8-sig", keep_default_na=False, dtype=str).set_index("id")
        assert sorted(rows.index) == (["m-1", "m-2", "m-3", "m-4"] if role == "admin" else ["m-1", "m-2", "m-3"])
        assert rows.loc["m-1", "description"] == '\'=HYPERLINK("http://x")'
        assert ("email" in rows.columns) == with_email
        if with_email:
            assert rows.loc["m-3", "email"] == EMAIL


def test_the_app_reply_form_answers_moderators_only(store):
    import datetime as dt

    from dash import no_update

    from dashboard.app import create_app
    from tests.dash_fixtures import call, callback

    approve(store, who("moderator"), "m-1")
    today = dt.date(2026, 11, 27)
    bra = create_app(store, role="bra", today=lambda: today)
    assert call(callback(bra, "save_reply"), "mod-reply-save.n_clicks", 1, "m-1", "Hack", "avvisad", "sv",
                None) == (no_update, no_update, no_update)
    app = create_app(store, role="moderator", today=lambda: today)
    save = callback(app, "save_reply")
    message, kind, _ = call(save, "mod-reply-save.n_clicks", 1, "m-2", "", "åtgärdad", "sv", None)
    assert (message, kind) == ("Rapporten m-2 är inte godkänd (väntar): godkänn den innan du ändrar dess status.",
                               "edit-message error")
    message, kind, _ = call(save, "mod-reply-save.n_clicks", 1, " m-1 ", "Lampan är bytt.", "åtgärdad", "sv",
                            {"lang": "sv"})
    assert (message, kind) == ("Svaret och statusen för rapporten m-1 är sparade.", "edit-message")
    assert status_of(store, "VGR-2026-AAAAAAAA")["public_reply"] == "Lampan är bytt."
    assert status_of(store, "VGR-2026-AAAAAAAA")["state"] == "åtgärdad"
    assert read_audit(store, event="moderate")["detail"].iloc[-1]["action"] == "reply"
