"""CLI for the moderation queue (layers.moderation), registered on the main group.

    trygghetskarta moderate --data PATH list [--all]
    trygghetskarta moderate --data PATH approve ID
    trygghetskarta moderate --data PATH reject ID --reason TEXT
    trygghetskarta moderate --data PATH merge ID --into ID
    trygghetskarta moderate --data PATH edit ID --text TEXT
    trygghetskarta moderate --data PATH reply ID [--text TEXT] [--status S]
    trygghetskarta moderate --data PATH export OUT.csv   (every moderated report; admin: with the contact)

Whoever runs it can read the data file, so the default role is admin; `--role moderator`
moderates as the municipality's staff do (no narcotics). Every decision is audit-logged with
`--user` (default cli:LOGIN).
"""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from layers import open_store
from layers.messages import label, template
from layers.moderation import ModerationError, Moderator, approve, edit_text, merge, queue, reject, reply
from layers.schema import REPORT_STATUSES

from .cli import Group, main

MODERATING_ROLES = ("admin", "polis", "moderator")


class _Group(Group):
    """Like the main group; a refused decision is one line on stderr and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ModerationError as exc:
            click.echo(f"Error: {exc.text(ctx.obj['lang'] if ctx.obj else 'sv')}", err=True)
            ctx.exit(1)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # pragma: no cover - no login name on some systems
        return "cli"


@main.group(cls=_Group)
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="GeoPackage data file.")
@click.option("--role", type=click.Choice(MODERATING_ROLES), default="admin", show_default=True,
              help="Moderate as this role (moderator: no narcotics reports).")
@click.option("--user", "user", default=None, help="The name in the audit log. [default: cli:LOGIN]")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True)
@click.pass_context
def moderate(ctx, data, role, user, lang):
    """The moderation queue: reports from residents, EST reporters and safety walks count only
    once approved."""
    store = open_store(data)
    ctx.obj = {"store": store, "who": Moderator.of(user or _actor(), role, store.config.privacy,
                                                    store.config.layers), "lang": lang}


def _done(ctx, key: str, **values) -> None:
    click.echo(template(key, ctx.obj["lang"]).format(**values))


@moderate.command("list")
@click.option("--all", "everything", is_flag=True, help="Also the decided ones (with their state).")
@click.pass_context
def list_queue(ctx, everything):
    """The pending reports, oldest first: id, ref, layer, category, received, source, text."""
    lang = ctx.obj["lang"]
    frame = queue(ctx.obj["store"], ctx.obj["who"], include_decided=everything)
    if not len(frame):
        _done(ctx, "moderation_cli_none")
        return
    if not everything:
        _done(ctx, "moderation_cli_count", n=len(frame))
    layers = ctx.obj["store"].config.layers
    for row in frame.itertuples():
        spec = layers.get(row.layer)
        text = " ".join(str(row.description).split())
        parts = [row.id, row.ref or "-", spec.name(lang) if spec else row.layer, label("category", row.category, lang),
                 str(row.reported_at)[:16], label("source", row.source, lang)]
        if row.reporter:
            parts.append(row.reporter)
        if everything:
            parts.append(row.moderation)
        click.echo("  ".join(parts) + ("  " + (text[:77] + "…" if len(text) > 78 else text) if text else ""))


@moderate.command("approve")
@click.argument("report_id")
@click.pass_context
def approve_cmd(ctx, report_id):
    """Approve: the report counts from now on."""
    approve(ctx.obj["store"], ctx.obj["who"], report_id)
    _done(ctx, "moderation_done_approve", id=report_id)


@moderate.command("reject")
@click.argument("report_id")
@click.option("--reason", required=True, help="Why (read by moderators only).")
@click.pass_context
def reject_cmd(ctx, report_id, reason):
    """Reject with a reason; the reporter's contact is deleted."""
    reject(ctx.obj["store"], ctx.obj["who"], report_id, reason)
    _done(ctx, "moderation_done_reject", id=report_id)


@moderate.command("merge")
@click.argument("report_id")
@click.option("--into", "into", required=True, help="The report it duplicates (kept).")
@click.pass_context
def merge_cmd(ctx, report_id, into):
    """Merge as a duplicate: not counted; its status page follows the kept report."""
    kept = merge(ctx.obj["store"], ctx.obj["who"], report_id, into)
    _done(ctx, "moderation_done_merge", id=report_id, into=kept)


@moderate.command("edit")
@click.argument("report_id")
@click.option("--text", required=True, help="The new description.")
@click.pass_context
def edit_cmd(ctx, report_id, text):
    """Replace the description (e.g. remove a name before approving)."""
    edit_text(ctx.obj["store"], ctx.obj["who"], report_id, text)
    _done(ctx, "moderation_done_edit_text", id=report_id)


@moderate.command("reply")
@click.argument("report_id")
@click.option("--text", default=None, help="The public reply on the status page.")
@click.option("--status", type=click.Choice(REPORT_STATUSES), default=None,
              help="The report's status; åtgärdad/avvisad close the case (the contact is deleted).")
@click.pass_context
def reply_cmd(ctx, report_id, text, status):
    """Set the public reply and/or the status of an approved report."""
    if text is None and status is None:
        raise click.UsageError("give --text, --status or both")
    reply(ctx.obj["store"], ctx.obj["who"], report_id, text, status)
    _done(ctx, "moderation_done_reply", id=report_id)


@moderate.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def export_cmd(ctx, out):
    """Every moderated report (pending and decided) as CSV for Excel; the contact only as admin."""
    from .export import _write_csv

    frame = queue(ctx.obj["store"], ctx.obj["who"], include_decided=True)
    _write_csv(frame, out)
    click.echo(f"{len(frame)} → {out}")
