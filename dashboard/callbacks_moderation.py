"""Dash callbacks of the moderation panel (dashboard.moderation_view): open it, decide on a card
(approve, reject, merge, edit the text), reply and set the status of an approved report.

Every callback checks the request's role on the server (`may_moderate`), whatever the page
showed: a role that does not moderate gets no answer (no_update), not the queue. A decision
reloads the views and bumps the filters store, so the map and charts count the approved report
at once. The moderator's name for the audit log is the logged-in user's (layers.moderation).
"""

from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, no_update

from layers.moderation import ModerationError, Moderator, may_moderate, queue
from layers.moderation import approve as do_approve
from layers.moderation import edit_text as do_edit_text
from layers.moderation import merge as do_merge
from layers.moderation import reject as do_reject
from layers.moderation import reply as do_reply

from .i18n import t
from .moderation_view import queue_body

#: Where the card's own inputs are, by action.
_ACTIONS = ("approve", "reject", "merge", "edit_text")


def _user() -> str:
    from .auth import current_user

    try:
        return current_user() or "(lokal)"
    except Exception:  # tests call callbacks outside a request
        return "(lokal)"


def _lang(lang) -> str:
    return "en" if lang == "en" else "sv"


def _bump(filters, version: int):
    return {**filters, "rev": version} if filters else no_update


def _value(states: list, rid: str) -> str:
    """The value of the card input whose id is `rid`, from a State(ALL) list."""
    for item in states or ():
        if item["id"].get("id") == rid:
            return item.get("value") or ""
    return ""


def _reload_if_counted(store, views, filters, seen: int):
    """Re-read the data after a decision that changed what is counted (layers.moderation marks
    the file changed then only): the filters store with the new revision, else no_update. A
    rejection or merge must not bump the revision every open page (a bra screen too) is shown.
    `seen`: the revision before the decision (another request may have re-read meanwhile)."""
    if store.last_change() != getattr(views, "_loaded_change", None):
        views.reload(store)
    return _bump(filters, views.version) if views.version != seen else no_update


def register_moderation(app, store, views):
    def moderator():
        """The request's moderator, or None for a role that does not moderate."""
        pol = views.policy()
        return Moderator(user=_user(), role=pol.role, policy=pol) if may_moderate(pol) else None

    def body(who, lang):
        return queue_body(queue(store, who), views.data.config.layers, lang)

    @app.callback(Output("mod-body", "children"), Output("mod-body", "className"),
                  Input("mod-summary", "n_clicks"), State("mod-body", "className"), State("lang", "value"),
                  prevent_initial_call=True)
    def open_queue(_clicks, built, lang):
        who = moderator()
        if who is None or "built" in (built or "").split():
            return no_update, no_update
        return body(who, _lang(lang)), "mod-body built"

    @app.callback(
        Output("mod-body", "children", allow_duplicate=True),
        Output("mod-message", "children"), Output("mod-message", "className"),
        Output("filters", "data", allow_duplicate=True),
        Input({"type": "mod-act", "action": ALL, "id": ALL}, "n_clicks"),
        State({"type": "mod-reason", "id": ALL}, "value"), State({"type": "mod-into", "id": ALL}, "value"),
        State({"type": "mod-text", "id": ALL}, "value"), State("lang", "value"), State("filters", "data"),
        prevent_initial_call=True,
    )
    def decide(_clicks, _reasons, _intos, _texts, lang, filters):
        lang = _lang(lang)
        trigger = ctx.triggered_id
        # A rebuilt queue mounts new buttons: their arrival (n_clicks 0) is no click.
        if not isinstance(trigger, dict) or not (ctx.triggered and ctx.triggered[0].get("value")):
            return no_update, no_update, no_update, no_update
        who = moderator()
        if who is None or trigger.get("action") not in _ACTIONS:
            return no_update, no_update, no_update, no_update
        rid, action = str(trigger["id"]), trigger["action"]
        seen = views.version
        states = ctx.states_list
        try:
            if action == "approve":
                do_approve(store, who, rid)
                done = t("moderation_done_approve", lang, id=rid)
            elif action == "reject":
                do_reject(store, who, rid, _value(states[0], rid))
                done = t("moderation_done_reject", lang, id=rid)
            elif action == "merge":
                kept = do_merge(store, who, rid, _value(states[1], rid).strip())
                done = t("moderation_done_merge", lang, id=rid, into=kept)
            else:
                do_edit_text(store, who, rid, _value(states[2], rid))
                done = t("moderation_done_edit_text", lang, id=rid)
        except ModerationError as exc:
            return no_update, exc.text(lang), "edit-message error", no_update
        return body(who, lang), done, "edit-message", _reload_if_counted(store, views, filters, seen)

    @app.callback(
        Output("mod-message", "children", allow_duplicate=True),
        Output("mod-message", "className", allow_duplicate=True),
        Output("filters", "data", allow_duplicate=True),
        Input("mod-reply-save", "n_clicks"), State("mod-reply-id", "value"), State("mod-reply-text", "value"),
        State("mod-reply-status", "value"), State("lang", "value"), State("filters", "data"),
        prevent_initial_call=True,
    )
    def save_reply(clicks, rid, text, status, lang, filters):
        lang = _lang(lang)
        who = moderator()
        if who is None or not clicks:
            return no_update, no_update, no_update
        rid = str(rid or "").strip()
        seen = views.version
        try:
            do_reply(store, who, rid, text if (text or "").strip() else None, status or None)
        except ModerationError as exc:
            return exc.text(lang), "edit-message error", no_update
        return t("moderation_done_reply", lang, id=rid), "edit-message", _reload_if_counted(store, views, filters, seen)


__all__ = ["register_moderation"]
