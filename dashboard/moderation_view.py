"""The moderation panel's components: a closed panel for roles that moderate (polis, admin,
moderator), its queue of pending reports as cards with the decisions, and the reply form.

Other roles get no component at all (`moderation_panel` returns None), and the body is built
only when the panel is opened (dashboard.callbacks_moderation): a page that never moderates
neither mounts it nor asks the server for the queue. Texts from residents are rendered as text
by Dash (never as HTML or Markdown), so a script in a report stays inert here too.
"""

from __future__ import annotations

import pandas as pd
from dash import dcc, html

from layers.moderation import may_moderate
from layers.schema import REPORT_STATUSES

from .i18n import t, vocab


def moderation_panel(lang: str, policy=None, body=None):
    """The panel for a role that moderates; None for the others. `policy` None (the full page
    Dash validates the callbacks against) has the reply form built in."""
    if policy is not None and not may_moderate(policy):
        return None
    built = policy is None or body is not None
    return html.Details([
        html.Summary(t("moderation_summary", lang), id="mod-summary", n_clicks=0),
        html.Div(body if body is not None else (queue_body(pd.DataFrame(), {}, lang) if policy is None else None),
                 id="mod-body", className="mod-body built" if built else "mod-body"),
        html.Div(id="mod-message", className="edit-message", role="status"),
    ], id="mod-panel", className="edit moderation")


def _card(row, layers: dict, lang: str):
    rid = str(row["id"])
    spec = layers.get(row["layer"])
    head = t("moderation_card", lang, layer=spec.name(lang) if spec is not None else row["layer"],
             category=vocab("category", row["category"], lang), reported=str(row["reported_at"])[:16].replace("T", " "),
             source=vocab("source", row["source"], lang))
    lines = [html.P(head, className="mod-head")]
    if row.get("ref"):
        lines.append(html.P(t("moderation_ref", lang, ref=row["ref"]), className="hint"))
    if row.get("reporter"):
        lines.append(html.P(t("moderation_reporter", lang, name=row["reporter"]), className="hint"))
    text_id = {"type": "mod-text", "id": rid}
    reason_id = {"type": "mod-reason", "id": rid}
    into_id = {"type": "mod-into", "id": rid}
    return html.Article([
        *lines,
        html.Blockquote(row["description"] or t("moderation_no_text", lang), className="mod-description"),
        html.Button(t("moderation_approve", lang), id={"type": "mod-act", "action": "approve", "id": rid},
                    n_clicks=0, className="btn primary mod-approve"),
        html.Div([
            html.Label(t("moderation_reason", lang), htmlFor=_dom_id(reason_id)),
            dcc.Input(id=reason_id, type="text", value="", maxLength=500),
            html.Button(t("moderation_reject", lang), id={"type": "mod-act", "action": "reject", "id": rid},
                        n_clicks=0, className="btn mod-reject"),
        ], className="mod-row"),
        html.Div([
            html.Label(t("moderation_into", lang), htmlFor=_dom_id(into_id)),
            dcc.Input(id=into_id, type="text", value=""),
            html.Button(t("moderation_merge", lang), id={"type": "mod-act", "action": "merge", "id": rid},
                        n_clicks=0, className="btn mod-merge"),
        ], className="mod-row"),
        html.Div([
            html.Label(t("moderation_text", lang), htmlFor=_dom_id(text_id)),
            dcc.Textarea(id=text_id, value=row["description"] or "", rows=3),
            html.Button(t("moderation_save_text", lang), id={"type": "mod-act", "action": "edit_text", "id": rid},
                        n_clicks=0, className="btn mod-edit"),
        ], className="mod-row"),
    ], className="mod-card", **{"data-id": rid})


def _dom_id(pattern: dict) -> str:
    """The DOM id Dash gives a pattern-matching id (its keys sorted, as JSON), for <label for>."""
    import json

    return json.dumps(pattern, sort_keys=True, separators=(",", ":"))


def reply_form(lang: str):
    """The reply and status of an approved report (no longer in the queue), by id."""
    options = [{"label": vocab("report_status", s, lang), "value": s} for s in REPORT_STATUSES]
    return html.Div([
        html.H3(t("moderation_reply_title", lang)),
        html.Label(t("moderation_reply_id", lang), htmlFor="mod-reply-id"),
        dcc.Input(id="mod-reply-id", type="text", value=""),
        html.Label(t("moderation_reply_text", lang), htmlFor="mod-reply-text"),
        dcc.Textarea(id="mod-reply-text", value="", rows=3),
        html.Label(t("moderation_reply_status", lang), htmlFor="mod-reply-status"),
        dcc.Dropdown(id="mod-reply-status", options=options, value=None, clearable=True),
        html.Button(t("moderation_save_reply", lang), id="mod-reply-save", n_clicks=0, className="btn"),
    ], className="mod-reply")


def queue_body(frame: pd.DataFrame, layers: dict, lang: str):
    """The opened panel: the count, the cards (oldest first) and the reply form."""
    count = len(frame)
    cards = [_card(row, layers, lang) for row in frame.to_dict("records")] if count else \
        [html.P(t("moderation_empty", lang), className="hint mod-empty")]
    return [
        html.P(t("moderation_lead", lang), className="hint"),
        html.H3(t("moderation_title", lang, n=count), id="mod-count"),
        html.Div(cards, id="mod-cards"),
        reply_form(lang),
    ]


__all__ = ["moderation_panel", "queue_body", "reply_form"]
