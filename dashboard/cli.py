"""The `trygghetskarta` command line: demo data, store info and the dashboard server."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
import platformdirs

from geodata import CRSError, UnknownMunicipality, list_municipalities, normalise_code
from layers import ConfigError, StoreError, ValidationError, load_config, open_store
from layers.privacy import ALLMANHET, BRA, ROLES

#: Mistakes a user can make; each becomes one line on stderr and exit code 1, never a traceback.
USER_ERRORS = (StoreError, ValidationError, ConfigError, UnknownMunicipality, CRSError, OSError)


def _user_errors():
    from .auth import AuthError

    return (*USER_ERRORS, AuthError)


class Group(click.Group):
    """A click group that turns user mistakes into one clear line and a non-zero exit."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except _user_errors() as exc:
            message = str(exc)
            if isinstance(exc, OSError) and exc.filename:
                message = f"{exc.strerror}: {exc.filename}"
            click.echo(f"Error: {message}", err=True)
            ctx.exit(1)


def default_data_path(kommun: str = "0665") -> Path:
    """Where `serve` keeps its demo data when no --data is given."""
    return Path(platformdirs.user_data_dir("trygghetskarta")) / f"demo-{kommun}.gpkg"


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-27") from None


def _kommun(ctx, param, value):
    try:
        return normalise_code(value)
    except UnknownMunicipality as exc:
        raise click.BadParameter(str(exc)) from None


def _config(ctx, param, value):
    if value is None:
        return None  # the data file's promises (layers.promises)
    try:
        return load_config(value)
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None


def _basemap(ctx, param, value):
    from .basemap import BasemapError, parse_basemap

    try:
        return parse_basemap(value)
    except BasemapError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="trygghetskarta")
def main():
    """Trygghetskarta: follow up a municipality's citizen promise (medborgarlöfte) on its map.

    Citizens' reports of unsafe places, speeding and narcotics tips are map layers; the
    promised activities by police and municipality are charted per focus area. Data lives in
    one GeoPackage file (opens in QGIS).

    \b
    Quick start:
      trygghetskarta serve                      # demo data for Vaggeryd, http://127.0.0.1:8050
      trygghetskarta demo --data vaggeryd.gpkg  # write a demo data file
      trygghetskarta info --data vaggeryd.gpkg  # what is in it
      trygghetskarta serve --data vaggeryd.gpkg
    """


@main.command()
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="GeoPackage file to write (must not exist unless --overwrite).")
@click.option("--seed", default=1, show_default=True, type=int, help="Random seed: same seed, same data.")
@click.option("--reports", default=3000, show_default=True, type=click.IntRange(0, 10_000_000),
              help="Number of reports to invent.")
@click.option("--activities", default=400, show_default=True, type=click.IntRange(0, 1_000_000),
              help="Number of activities to invent.")
@click.option("--end", callback=_date, help="Last day of the 24 months of data (YYYY-MM-DD). [default: today]")
@click.option("--kommun", default="0665", show_default=True, callback=_kommun,
              help="SCB municipality code; see `trygghetskarta kommuner`.")
@click.option("--overwrite", is_flag=True, help="Replace an existing file.")
def demo(data, seed, reports, activities, end, kommun, overwrite):
    """Write a deterministic, clearly fictional demo data set (source 'demo').

    Unsafe places concentrate at stations, centres, parks and schools (more in dark months
    and evenings); speed complaints follow the through-roads (school hours, summer evenings);
    narcotics tips cluster at a few places on weekend nights; activities follow the focus
    areas, with a drop in reports where sustained patrols started a year before the end.
    """
    from layers.demo import write_demo

    if data.exists() and not overwrite:
        raise click.ClickException(f"{data} already exists; add --overwrite to replace it, or choose another path")
    started = dt.datetime.now()
    store = write_demo(data, seed=seed, reports=reports, activities=activities, end=end,
                       kommun=kommun, overwrite=overwrite)
    seconds = (dt.datetime.now() - started).total_seconds()
    counts = store.counts()
    click.echo(f"Wrote {counts['reports']} reports and {counts['activities']} activities "
               f"(fictional demo data, municipality {kommun}) to {data} in {seconds:.1f} s")


@main.command()
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="GeoPackage data file.")
def info(data):
    """Counts per layer, focus area and status; the time span; the municipality; demo or not."""
    from geodata import get_municipality

    store = open_store(data)
    reports = store.read_table("reports")
    activities = store.read_table("activities")
    muni = get_municipality(store.meta.kommun)
    lines = [
        f"File:        {data}",
        f"Municipality: {muni.code} {muni.name}",
        f"Content:     {'DEMO DATA - fictional events' if store.meta.demo else 'real data'}",
        f"Schema:      version {store.meta.schema_version}, {store.meta.crs}",
        f"Reports:     {len(reports)}",
    ]
    if len(reports):
        lines.append(f"  time span: {reports['occurred_at'].min()[:10]} .. {reports['occurred_at'].max()[:10]}")
        for title, column in (("layer", "layer"), ("focus area", "focus_area"), ("status", "status")):
            counts = reports[column].value_counts().sort_index()
            lines.append(f"  per {title}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    from layers.promises import list_promises

    stored = list_promises(store.path)
    lines.append(f"Promise:     {store.promise_note()}")
    lines.append(f"  stored:    {', '.join(p.label for p in stored) or 'none'} (trygghetskarta promise list)")
    settings = store.config.privacy
    periods = ", ".join(f"{role} {kind}" for role, kind in sorted(settings.periods.items()))
    lines.append(f"Privacy:     k={settings.k}, cells {settings.cell_m} m, release periods {periods}"
                 " (trygghetskarta release shows what is published)")
    lines.append(f"Activities:  {len(activities)}")
    if len(activities):
        lines.append(f"  time span: {activities['planned_at'].min()[:10]} .. {activities['planned_at'].max()[:10]}")
        for title, column in (("focus area", "focus_area"), ("actor", "actor"), ("status", "status")):
            counts = activities[column].value_counts().sort_index()
            lines.append(f"  per {title}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    click.echo("\n".join(lines))


@main.command()
def kommuner():
    """List the 290 municipality codes and names (SCB)."""
    for code, name in list_municipalities():
        click.echo(f"{code}  {name}")


@main.command()
@click.option("--data", "data", type=click.Path(dir_okay=False, path_type=Path),
              help="GeoPackage data file. [default: demo data in your user data folder, created on first run]")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option("--config", "config", callback=_config, type=click.Path(dir_okay=False),
              help="Promise TOML file used for this run only, instead of the data file's promises; it "
                   "imports nothing (store a promise with `trygghetskarta promise import`).")
@click.option("--basemap", is_flag=False, flag_value="osm", default=None, callback=_basemap,
              metavar="[osm|lantmateriet|FILE]",
              help="A base map under the map. Bare --basemap: OpenStreetMap when the network allows; "
                   "FILE.mbtiles or FILE.pmtiles: raster tiles the server itself serves (works offline); "
                   "lantmateriet: Lantmäteriet's topographic web map through this server, with the credentials "
                   "in TRYGGHETSKARTA_LM_USER/TRYGGHETSKARTA_LM_PASSWORD. Off: the plain offline map.")
@click.option("--workers", type=click.IntRange(1, 64), metavar="N",
              help="Server processes (each computes on its own CPU core; sessions, the login backoff and "
                   "the cookie key are shared through the data file). More than 1 runs gunicorn (Linux, "
                   "macOS); 1 runs waitress. [default: the number of CPUs, at most 4, on Linux/macOS; 1 on "
                   "Windows]")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Server threads per process: requests worked on at once (Python runs one at a time on the "
                   "CPU; more threads only help requests that wait, e.g. on the data file).")
@click.option("--connection-limit", default=1000, show_default=True, type=click.IntRange(10, 100_000),
              help="Most open connections (of all processes together). A browser page keeps about 6 open "
                   "for minutes (keep-alive), so this serves ~limit/6 open pages; past it new page loads "
                   "wait. The open-files limit is raised to fit.")
@click.option("--channel-timeout", default=60, show_default=True, type=click.IntRange(5, 3600), metavar="S",
              help="Seconds an idle connection stays open; the browser opens a new one when it needs it.")
@click.option("--backlog", default=1024, show_default=True, type=click.IntRange(16, 65535),
              help="Connections the operating system queues while the server is busy accepting.")
@click.option("--compress/--no-compress", default=True, show_default=True,
              help="Compress callback responses and static files (zstd, brotli or gzip, as the browser "
                   "accepts): ~5x fewer bytes; pages and the layout stay uncompressed (they hold the CSRF token).")
@click.option("--session-poll", "session_poll", default=15.0, show_default=True, type=click.FloatRange(1, 3600),
              metavar="S", help="How often an open page asks whether the server was restarted, its session ended or "
                                "the data changed (it then says so, with a reload button).")
@click.option("--debug", is_flag=True, help="Flask's development server with reloading (not for meetings).")
@click.option("--role", type=click.Choice(ROLES),
              help="Without users in the data file: everyone's role (default polis; then only this machine "
                   "may connect). With users: the most anyone sees on this server, e.g. 'bra' for the BRÅ "
                   "meeting's shared screen, where even a police login sees only what BRÅ may.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="A host name the server answers to besides localhost, e.g. karta.kommun.se "
                   "(repeatable). Other names get 421. Without users only localhost and these are "
                   "served; with users and no --allowed-host any name is (the login protects the data).")
@click.option("--trusted-proxy", "trusted_proxy", default=0, show_default=True, type=click.IntRange(0, 10),
              metavar="N",
              help="Number of reverse proxies in front (HTTPS) whose X-Forwarded-For and X-Forwarded-Proto "
                   "to trust; 0: the socket address is the client's. See docs/sakerhet.md.")
def serve(data, host, port, config, basemap, workers, threads, connection_limit, channel_timeout, backlog,
          compress, session_poll, debug, role, allowed_hosts, trusted_proxy):
    """Serve the dashboard (production WSGI servers: gunicorn with several processes on
    Linux/macOS, waitress with one process and on Windows).

    \b
    Roles (see README):  polis      exact points, free text, exact times
                         bra        narcotics as cells of at least 5, no free text, times to the hour
                         allmanhet  cells only, no narcotics, no free text, times per month
                         admin      as polis, plus users and data
    Without users (`trygghetskarta user add`) there is no login and the server listens on
    127.0.0.1 only; any other --host is refused until users exist. Users added while it
    runs turn login on within seconds.

    \b
    Behind an HTTPS reverse proxy (see docs/sakerhet.md):
      trygghetskarta serve --data vaggeryd.gpkg --trusted-proxy 1 --allowed-host karta.kommun.se

    \b
    Many viewers: the defaults hold ~160 open pages (bench/bench_load.py measures them);
    waitress's own defaults (100 connections, 120 s) are
      --connection-limit 100 --channel-timeout 120
    One process computes on one CPU core; --workers N runs N (logins, logouts and the
    login backoff hold across them, and a restart keeps everyone logged in).
    """
    from layers.server_state import ServerState

    from . import serving
    from .app import create_app, waitress_options
    from .guard import check_bind, check_proxy

    if data is None:
        data = default_data_path(config.kommun if config else "0665")
        if not data.exists():
            from layers.demo import write_demo

            click.echo(f"Creating demo data (fictional) at {data} ...", err=True)
            write_demo(data, kommun=config.kommun if config else "0665", config=config)
        click.echo(f"Using data file {data}", err=True)
    store = open_store(data, config=config)
    check_bind(host, store, str(data))
    check_proxy(trusted_proxy, store, str(data))
    workers = serving.default_workers() if workers is None else workers
    if workers > 1 and not serving.can_fork():
        click.echo("One server process on Windows (waitress): --workers needs Linux or macOS.", err=True)
        workers = 1
    # Made here, before any worker process exists: all of them show open pages the same id.
    try:
        instance = ServerState(store.path).begin_instance()
    except StoreError:  # a file this user may only read: the id lives in this process alone
        instance = None
    app = create_app(store, basemap=basemap, role=role, allowed_hosts=allowed_hosts,
                     trusted_proxies=trusted_proxy, compress=compress, session_poll_s=session_poll,
                     instance_id=instance)
    # The address the server listens on, as the README and the auth banner write it.
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + ("?present=1" if role in (BRA, ALLMANHET) else "")
    auth = app._trygghetskarta["auth"]
    click.echo(auth.banner(host, port), err=True)
    click.echo(f"Promise: {store.promise_note()}", err=True)
    if basemap is not None:
        from .basemap import describe

        click.echo(describe(app._trygghetskarta["basemap"]), err=True)
    hint = auth.host_hint(host, trusted_proxy)
    if hint:
        click.echo(hint, err=True)
    click.echo(f"Trygghetskarta on {url}  (Ctrl-C stops)", err=True)
    if debug:
        app.run(host=host, port=port, debug=True)
        return
    if workers > 1:
        options = serving.gunicorn_options(workers=workers, threads=threads, connection_limit=connection_limit,
                                           channel_timeout=channel_timeout, backlog=backlog)
        total = options.pop("connection_limit")
        if options.pop("clamped"):
            click.echo(f"Open-files limit: at most {total} connections "
                       f"(--connection-limit {connection_limit} asked for more; raise `ulimit -n`).", err=True)
        click.echo(f"Serving with {workers} processes of {threads} threads, up to {total} connections "
                   f"({options['worker_connections']} per process), idle ones closed after {channel_timeout} s, "
                   f"compression {'on' if compress else 'off'}.", err=True)
        # The app (and the data in it) was built above: the workers are forked from this process.
        serving.warm_up(app.server)
        serving.run_gunicorn(app.server, host=host, port=port, **options)
        return
    from waitress import serve as waitress_serve

    options = waitress_options(threads, connection_limit, channel_timeout, backlog)
    if options.pop("clamped"):
        click.echo(f"Open-files limit: at most {options['connection_limit']} connections "
                   f"(--connection-limit {connection_limit} asked for more; raise `ulimit -n`).", err=True)
    click.echo(f"Serving with {threads} threads, up to {options['connection_limit']} connections, idle ones "
               f"closed after {channel_timeout} s, compression {'on' if compress else 'off'}.", err=True)
    # waitress drops X-Forwarded-* itself unless told otherwise; with --trusted-proxy the
    # app's ProxyFix reads exactly the proxies' own entries.
    waitress_serve(app.server, host=host, port=port, ident="trygghetskarta",
                   clear_untrusted_proxy_headers=not trusted_proxy, **options)


def run():  # pragma: no cover - console entry for `python -m dashboard`
    sys.exit(main())


# Data in/out (import, export) and users/audit commands live beside this module and register on `main`.
from . import (  # noqa: E402,F401
    cli_analysis,
    cli_data,
    cli_est,
    cli_followup,
    cli_moderation,
    cli_promise,
    cli_release,
    cli_report,
    cli_users,
    cli_walks,
)
