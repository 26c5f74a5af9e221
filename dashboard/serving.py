"""How `serve --workers N` runs N server processes on POSIX: gunicorn's settings for
`serve`'s own options, and gunicorn itself (one process, or Windows, stays on waitress).

Why processes: Python computes on one CPU core per process, so 50 viewers on one process are
CPU-bound. What the processes must share lives in the data file (layers.server_state:
sessions, the login backoff, the cookie key, the server's id); the data itself is loaded
once in the first process before the workers are forked from it (the app is built before
gunicorn starts; the store opens an sqlite connection only inside each call, and the kept
read connections of `ServerState` are made per process, never inherited).

Mapping of `serve`'s options (waitress's meaning kept):

* --threads: threads per process (gunicorn's `gthread` worker: idle keep-alive connections
  wait in its poller, not in a thread, as in waitress);
* --connection-limit: across all processes (each takes its share, `worker_connections`;
  a full one stops accepting and the others take the new connections);
* --channel-timeout: how long an idle keep-alive connection stays open (`keepalive`);
* --backlog: the listening socket's queue (`backlog`).

gunicorn's own handling of X-Forwarded-* is switched off (`forwarded_allow_ips` empty, no
secure-scheme headers): `--trusted-proxy` (werkzeug's ProxyFix in the app) stays the one
place that decides what a proxy may say, as under waitress. Its control socket is off too
(two `serve` on one machine would share its default path).
"""

from __future__ import annotations

import math
import os
import sys

#: Most worker processes chosen by default (more cost memory and rarely help a municipality).
MAX_DEFAULT_WORKERS = 4
#: Seconds a worker may go without a sign of life before gunicorn replaces it. gthread's main
#: loop signs whatever its request threads do, so only a stuck process reaches this.
WORKER_TIMEOUT_S = 120
#: The longest request line gunicorn accepts (its maximum): a page address with a lasso of
#: ~400 points still fits.
REQUEST_LINE_MAX = 8190


def can_fork() -> bool:
    """Whether several worker processes can run here (gunicorn: POSIX, not Windows)."""
    return os.name == "posix" and sys.platform != "win32"


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - macOS
        return os.cpu_count() or 1


def default_workers() -> int:
    """`serve --workers` when not given: the CPUs this process may use, at most 4, on POSIX;
    1 on Windows (waitress)."""
    return max(1, min(MAX_DEFAULT_WORKERS, cpu_count())) if can_fork() else 1


def gunicorn_options(*, workers: int, threads: int, connection_limit: int, channel_timeout: int,
                     backlog: int) -> dict:
    """gunicorn settings for `serve`'s options. Every connection is a file descriptor in the
    process holding it: the open-files limit is raised (before the fork, so every worker has
    it) to fit a process's share, and lowered where it cannot be (`clamped` says so)."""
    from .app import SPARE_FDS, open_files_limit

    share = math.ceil(connection_limit / workers)
    limit = open_files_limit(share + SPARE_FDS)
    usable = max(threads + 1, min(share, limit - SPARE_FDS))
    return {
        "workers": workers, "worker_class": "gthread", "threads": threads,
        "worker_connections": usable, "keepalive": channel_timeout, "backlog": backlog,
        "timeout": WORKER_TIMEOUT_S, "graceful_timeout": 30,
        "preload_app": True,
        "forwarded_allow_ips": "", "secure_scheme_headers": {}, "forwarder_headers": "",
        "limit_request_line": REQUEST_LINE_MAX,
        "control_socket_disable": True,
        "accesslog": None, "errorlog": "-", "loglevel": "info",
        "proc_name": "trygghetskarta",
        "clamped": usable < share, "connection_limit": usable * workers,
    }


def warm_up(flask_app) -> None:
    """Prepare the app once, before the workers are forked. Dash sets a process up at its
    first request (it registers its package files, checks the layout) and marks that done
    before it is: a worker whose first requests come at once, as a page's scripts do, answered
    some of them 500 ("dash is not a registered library"). One request here, in this process,
    leaves every worker set up. It asks for the login page, which reads nothing from the data
    file, so no connection is open at the fork."""
    flask_app.test_client().get("/login")


def run_gunicorn(wsgi_app, *, host: str, port: int, **settings) -> None:
    """Serve `wsgi_app` (built in this process) with gunicorn until stopped (Ctrl-C, SIGTERM);
    `settings` are gunicorn's (`gunicorn_options` without its own two notes)."""
    from gunicorn.app.base import BaseApplication

    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", [bind])
            for name, value in settings.items():
                self.cfg.set(name, value)

        def load(self):
            return wsgi_app

    Server(prog="trygghetskarta serve").run()


__all__ = ["MAX_DEFAULT_WORKERS", "can_fork", "cpu_count", "default_workers", "gunicorn_options", "run_gunicorn",
           "warm_up"]
