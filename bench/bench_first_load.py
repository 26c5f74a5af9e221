"""Benchmark: the first screen in headless Chromium — time to the first drawn map, and bytes on the wire.

Starts `trygghetskarta serve` (as bench_load.py does) on demo files of the given sizes and loads
the dashboard in Debian's headless Chromium (SwiftShader WebGL, offline):
- cold load: a new browser profile, empty cache; time from navigation start to the first map
  drawn (the map's Plotly div has its traces and MapLibre reports the style loaded and the map
  rendered), median of --runs; beside it the CPU seconds the browser's processes (page,
  GPU/SwiftShader) spent until then, which a busy machine stretches less than the wall time,
  and the number of dash-renderer store updates (redux dispatches) until then: every update
  runs the selector of every mounted component, so their number times the components on
  the page is what the page's JavaScript costs (it does not depend on the machine at all),
  and the callbacks the page asked the server for until then (their outputs in the .json);
- repeat load: the same browser again: bytes transferred for static files (Dash's package files
  and /assets) and, apart, for data (layout, dependencies, callback answers), from the page's
  Resource Timing (`transferSize`: compressed body + headers; 0 for a file from the cache).
Side by side: the same with `serve --no-compress` (what the server sent before compression
and long caching; the naive baseline).

    python bench/bench_first_load.py [--sizes 3000 100000] [--runs 5] [--role polis|bra] [--present] [--settings new naive]
                                     [--out bench/out]

3000 reports and 400 activities is `trygghetskarta demo`'s default (the demo size); larger
sizes get one activity per 25 reports.

Writes bench/out/bench_first_load.md (and .json; -present with --present). Numbers depend on how busy the machine is:
compare rows of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load import HOST, Server  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

#: Polled in the page every animation frame from before any page script runs: records when the
#: map first shows drawn data, so the time does not depend on how often Python asks.
FIRST_MAP_PROBE = """
(function () {
  function check() {
    var gd = document.querySelector('#map .js-plotly-plot') || document.getElementById('map');
    var ok = false;
    try {
      var sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
      var map = sub && sub.map;
      ok = !!(gd._fullData && gd._fullData.length > 0 && map && map.loaded() && map.isStyleLoaded()
              && document.querySelector('#map canvas'));
    } catch (e) { ok = false; }
    if (ok) {
      window.__firstMapMs = performance.now(); window.__firstMapUpdates = window.__storeUpdates;
      window.__firstMapCallbacks = window.__callbacks.slice();
      return;
    }
    requestAnimationFrame(check);
  }
  requestAnimationFrame(check);
  // Which callbacks the page asks the server for (their outputs), to see what a load costs.
  window.__callbacks = [];
  var fetch0 = window.fetch;
  window.fetch = function (url, init) {
    try {
      if (String(url).indexOf('_dash-update-component') >= 0 && init && init.body) {
        window.__callbacks.push(JSON.parse(init.body).output);
      }
    } catch (e) { /* not a callback */ }
    return fetch0.apply(this, arguments);
  };
  // dash-renderer exposes its redux store as window.store once it starts.
  window.__storeUpdates = 0;
  (function watch() {
    if (window.store && window.store.subscribe) {
      window.store.subscribe(function () { window.__storeUpdates += 1; });
    } else {
      setTimeout(watch, 1);
    }
  })();
})();
"""

STATIC_MARKERS = ("/_dash-component-suites/", "/assets/", "/_favicon")
DATA_MARKERS = ("/_dash-layout", "/_dash-dependencies", "/_dash-update-component", "/_tk-")


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    sys.path.insert(0, str(ROOT / "tests" / "browser"))
    from conftest import chrome_options  # the browser tests' own flags (headless, SwiftShader)

    options: Options = chrome_options()
    options.add_argument("--window-size=1920,1080")
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='tk-bench-')}")
    driver = webdriver.Chrome(options=options)
    driver.set_script_timeout(120)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": FIRST_MAP_PROBE})
    return driver


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants now (Linux /proc)."""
    total, todo = 0.0, [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass  # ended meanwhile
    return total


def load(driver, url: str, timeout: float = 180) -> dict:
    from selenium.common.exceptions import TimeoutException

    driver.get("about:blank")
    root = driver.service.process.pid  # chromedriver: the browser's processes are its descendants
    cpu_before = cpu_seconds(root)
    driver.get(url)
    end = time.monotonic() + timeout
    first = None
    while time.monotonic() < end:
        try:
            first = driver.execute_script("return window.__firstMapMs || null")
        except TimeoutException:  # the page's main thread busy longer than a script may wait
            continue
        if first is not None:
            break
        time.sleep(0.05)
    cpu = cpu_seconds(root) - cpu_before
    if first is None:
        raise SystemExit(f"no map drawn within {timeout} s at {url}")
    updates = driver.execute_script("return window.__firstMapUpdates")
    asked = driver.execute_script("return window.__firstMapCallbacks") or []
    entries = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => [e.name, e.transferSize, e.encodedBodySize,"
        " e.decodedBodySize]).concat(performance.getEntriesByType('navigation').map(e => [e.name, e.transferSize,"
        " e.encodedBodySize, e.decodedBodySize]))")
    static = sum(e[1] for e in entries if any(m in e[0] for m in STATIC_MARKERS))
    data = sum(e[1] for e in entries if any(m in e[0] for m in DATA_MARKERS))
    page = sum(e[1] for e in entries if not any(m in e[0] for m in STATIC_MARKERS + DATA_MARKERS))
    return {"first_map_s": first / 1000, "browser_cpu_s": cpu, "store_updates": updates, "callbacks": asked,
            "static_bytes": static, "data_bytes": data, "page_bytes": page,
            "decoded_static_bytes": sum(e[3] for e in entries if any(m in e[0] for m in STATIC_MARKERS))}


def measure(data_file: Path, settings: str, role: str | None, runs: int, out: Path, present: bool = False) -> dict:
    args = ["--workers", "1"] + (["--no-compress"] if settings == "naive" else []) + (["--role", role] if role else [])
    server = Server(data_file, args, out / f"bench_first_load-{settings}-{data_file.stem}.log")
    try:
        server.wait_ready()
        url = f"http://{HOST}:{server.port}/" + ("?present=1" if present else "")
        cold, repeat = [], []
        for _ in range(runs):
            driver = browser()
            try:
                cold.append(load(driver, url))
                repeat.append(load(driver, url))
            finally:
                driver.quit()
    finally:
        server.stop()
    med = lambda rows, key: statistics.median(r[key] for r in rows)  # noqa: E731
    return {
        "settings": settings, "file": data_file.name, "runs": runs,
        "cold_first_map_s": med(cold, "first_map_s"), "cold_first_map_max_s": max(r["first_map_s"] for r in cold),
        "cold_browser_cpu_s": med(cold, "browser_cpu_s"), "repeat_browser_cpu_s": med(repeat, "browser_cpu_s"),
        "store_updates": med(cold, "store_updates"),
        "callbacks_before_map": len(cold[-1]["callbacks"]), "callback_outputs": cold[-1]["callbacks"],
        "cold_static_kb": med(cold, "static_bytes") / 1024, "cold_data_kb": med(cold, "data_bytes") / 1024,
        "repeat_first_map_s": med(repeat, "first_map_s"),
        "repeat_static_kb": med(repeat, "static_bytes") / 1024, "repeat_data_kb": med(repeat, "data_bytes") / 1024,
        "decoded_static_kb": med(cold, "decoded_static_bytes") / 1024,
    }


def demo_file(size: int, out: Path) -> Path:
    from layers.demo import DEFAULT_ACTIVITIES, DEFAULT_REPORTS, write_demo

    activities = DEFAULT_ACTIVITIES if size <= DEFAULT_REPORTS else size // 25
    path = out / f"first-load-demo-{size}-{activities}.gpkg"
    if not path.exists():
        write_demo(path, reports=size, activities=activities)
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--role", default=None, help="serve --role (default: the server's own, polis without users)")
    parser.add_argument("--present", action="store_true", help="load the presentation screen (?present=1)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--settings", nargs="+", choices=("new", "naive"), default=["new", "naive"],
                        help="which servers to measure (default both: the naive one is the baseline)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in args.sizes:
        data_file = demo_file(size, args.out)
        for settings in args.settings:
            row = measure(data_file, settings, args.role, args.runs, args.out, args.present)
            row["reports"] = size
            rows.append(row)
            print(json.dumps(row), flush=True)
    load = os.getloadavg()
    lines = [
        f"# First screen in headless Chromium (median of {args.runs} runs, role {args.role or 'default'}"
        f"{', presentation' if args.present else ''})",
        "",
        "`python bench/bench_first_load.py " + " ".join(argv or sys.argv[1:]) + "`",
        "",
        f"Machine: {os.cpu_count()} CPUs, load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "(1/5/15 min): wall times stretch with the load, browser CPU seconds and store updates much less.",
        "",
        "| reports | server | first map cold (s) | max (s) | browser CPU cold (s) | store updates | callbacks "
        "| static cold (KB) | data cold (KB) | first map repeat (s) | browser CPU repeat (s) "
        "| static repeat (KB) | data repeat (KB) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        name = "new (compressed, cached)" if r["settings"] == "new" else "naive (`--no-compress`)"
        lines.append(f"| {r['reports']:,} | {name} | {r['cold_first_map_s']:.2f} | {r['cold_first_map_max_s']:.2f} "
                     f"| {r['cold_browser_cpu_s']:.1f} | {r['store_updates']:,.0f} | {r['callbacks_before_map']} "
                     f"| {r['cold_static_kb']:,.0f} | {r['cold_data_kb']:,.0f} | {r['repeat_first_map_s']:.2f} "
                     f"| {r['repeat_browser_cpu_s']:.1f} | {r['repeat_static_kb']:,.1f} | {r['repeat_data_kb']:,.0f} |")
    lines += ["", f"Static files uncompressed: {rows[0]['decoded_static_kb']:,.0f} KB. "
              "KB = transferred bytes (headers + compressed body) / 1024; a file from the browser cache is 0."]
    name = "bench_first_load" + ("-present" if args.present else "")
    (args.out / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (args.out / f"{name}.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
