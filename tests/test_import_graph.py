"""The project's modules import each other without a circle (issue 14): every import counts, also one inside a function.

Each module under layers/, dashboard/ and geodata/ is parsed with `ast`; an import is an edge
to the project module it runs: `import a.b.c` and `from a.b import c` run `a`, `a.b` (their
`__init__`) and `a.b.c`, so a module importing from a package's submodule also depends on the
package's `__init__` (its re-exports). A module's own parent packages are not edges of its
`from . import x`: they are already being imported when it runs. Imports under
`if TYPE_CHECKING:` never run and are not edges.

A lazy import inside a function is a circle too: it only moves the failure to the first call
(a half-initialised module, an ImportError at run time) and hides the layering. `ALLOWED`
names the edges that are still part of a circle, with the reason; it must stay exactly the
set of edges needed (a test fails on an entry no longer needed).
"""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("layers", "dashboard", "geodata")

#: (importer, imported) edges allowed although they close a circle, with why (a name may end
#: in `*`: every such module). Each is a design circle, not a misplaced name.
ALLOWED: dict[tuple[str, str], str] = {
    ("dashboard.cli", "dashboard.cli_*"): (
        "click's group registration: the subcommand modules decorate `cli.main` and cli imports "
        "them last, once `main` exists; breaking it means cli.py adding each command by name"),
    ("dashboard.report", "dashboard.app"): (
        "the report job builds an in-process dashboard (create_app in build_html) for the role's "
        "frames, and the app registers the report's callbacks; the report would need the frames "
        "without an app"),
    ("dashboard.report", "dashboard.report.*"): (
        "build_html lives in dashboard/report/__init__.py, so the page's modules that import "
        "dashboard.report.period run it, and its content and render modules need the layout; "
        "build_html in a module of its own (report/build.py) ends this one"),
    ("dashboard.report_controls", "dashboard.layout"): (
        "`layout.T` (the translatable text span) is defined in the layout that places the report "
        "controls; T belongs below both (dashboard.i18n), a move inside layout.py"),
}


def _allowed(edge: tuple[str, str], pattern: tuple[str, str]) -> bool:
    return all(fnmatch.fnmatchcase(name, want) for name, want in zip(edge, pattern, strict=True))


def allowed_edges(edges, allowed=ALLOWED) -> set[tuple[str, str]]:
    return {edge for edge in edges if any(_allowed(edge, pattern) for pattern in allowed)}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path, packages=PACKAGES) -> dict[str, Path]:
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if not any(part.startswith(".") for part in path.relative_to(root).parts):
                modules[module_name(path, root)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Every import statement that can run, at any depth (functions included)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]))
            continue
        yield from _imports(node)


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def import_edges(modules: dict[str, Path]) -> dict[tuple[str, str], int]:
    """(importer, imported) -> the first line that imports it, among the project's modules."""
    edges: dict[tuple[str, str], int] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        own_parents = set(_ancestors(name)) | ({name} if is_package else set())
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _imports(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
                implicit: list[str] = []
            else:
                if node.level:
                    package = name if is_package else name.rpartition(".")[0]
                    base_parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(base_parts + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules]
                targets = submodules
                # Names that are not submodules are read from the base's __init__: it must be done.
                if len(submodules) < len(node.names):
                    targets.append(base)
                implicit = [base]
            for target in targets + implicit:
                for step in [*_ancestors(target), target]:
                    explicit = step == target and target in targets
                    if step not in modules or step == name or (step in own_parents and not explicit):
                        continue
                    edges.setdefault((name, step), node.lineno)
    return edges


def cycles(nodes, edges) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    graph: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        graph[a].append(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        # Iterative: a recursive Tarjan would hit the recursion limit on a long chain.
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def one_circle(component: list[str], edges) -> list[str]:
    """A shortest circle through the component's first module (for the message)."""
    members = set(component)
    start = component[0]
    previous = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for a, b in sorted(edges):
            if a != node or b not in members:
                continue
            if b == start:
                path = [node]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, node, start]
            if b not in previous:
                previous[b] = node
                queue.append(b)
    return component


def describe(component, edges, lines) -> str:
    circle = one_circle(component, edges)
    steps = [f"{a} (line {lines[(a, b)]}) -> {b}" for a, b in zip(circle, circle[1:], strict=False)]
    return f"{len(component)} modules in a circle: {', '.join(component)}\n  e.g. " + "\n       ".join(steps)


# -- the check on the project --------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph():
    modules = project_modules(ROOT)
    return modules, import_edges(modules)


def test_no_import_circle_among_the_projects_modules(graph):
    modules, lines = graph
    edges = set(lines) - allowed_edges(lines)
    found = cycles(modules, edges)
    assert not found, "\n".join(describe(c, edges, lines) for c in found)


def test_every_allowed_edge_exists_and_is_still_needed(graph):
    modules, lines = graph
    for pattern, reason in ALLOWED.items():
        assert allowed_edges(lines, [pattern]), f"{pattern} is allowed ({reason}) but not imported: remove it"
        others = {p: r for p, r in ALLOWED.items() if p != pattern}
        assert cycles(modules, set(lines) - allowed_edges(lines, others)), (
            f"{pattern} is allowed ({reason}) but closes no circle any more: remove it from ALLOWED")


def test_the_import_steps_import_only_lower_steps(graph):
    _modules, lines = graph
    # read → columns → coords → times → prepare → run; messages below all, sources beside the steps.
    order = ["layers.imports.messages", "layers.imports.read", "layers.imports.columns", "layers.imports.coords",
             "layers.imports.times", "layers.imports.prepare", "layers.imports.sources.polisen",
             "layers.imports.run", "layers.imports.jobs"]
    upward = [(a, b) for a, b in lines if a in order and b in order and order.index(b) > order.index(a)]
    assert upward == []
    assert ("layers.imports.sources.polisen", "layers.imports.run") not in lines
    assert not [b for a, b in lines if a in ("layers.schema", "layers.text") and b.startswith("layers.imports")]


# -- the checker itself, on small hand-made trees ------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> dict[tuple[str, str], int]:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return import_edges(project_modules(tmp_path, ("pkg",)))


def test_a_lazy_import_inside_a_function_closes_a_circle(tmp_path):
    lines = _tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/low.py": "def f():\n    from .high import g\n    return g\n",
        "pkg/high.py": "from . import low\n",
    })
    assert lines == {("pkg.low", "pkg.high"): 2, ("pkg.high", "pkg.low"): 1}
    assert cycles(["pkg", "pkg.low", "pkg.high"], lines) == [["pkg.high", "pkg.low"]]
    assert describe(["pkg.high", "pkg.low"], set(lines), lines) == (
        "2 modules in a circle: pkg.high, pkg.low\n"
        "  e.g. pkg.high (line 1) -> pkg.low\n"
        "       pkg.low (line 2) -> pkg.high")


def test_importing_a_submodule_runs_its_packages_init(tmp_path):
    # pkg.schema -> pkg.sub.text runs pkg.sub's __init__, which imports pkg.sub.run -> pkg.schema.
    lines = _tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/schema.py": "from .sub.text import cut\n",
        "pkg/sub/__init__.py": "from .run import run\n",
        "pkg/sub/text.py": "def cut(): ...\n",
        "pkg/sub/run.py": "from ..schema import X\n",
    })
    assert set(lines) == {("pkg.schema", "pkg.sub"), ("pkg.schema", "pkg.sub.text"), ("pkg.sub", "pkg.sub.run"),
                          ("pkg.sub.run", "pkg.schema")}
    assert cycles(["pkg", "pkg.schema", "pkg.sub", "pkg.sub.text", "pkg.sub.run"], lines) == [
        ["pkg.schema", "pkg.sub", "pkg.sub.run"]]


def test_type_checking_imports_and_own_parents_are_no_edges(tmp_path):
    lines = _tree(tmp_path, {
        "pkg/__init__.py": "from .a import A\n",
        "pkg/a.py": ("from typing import TYPE_CHECKING\nfrom . import b\nif TYPE_CHECKING:\n    from .c import C\n"
                     "else:\n    import os\nA = 1\n"),
        "pkg/b.py": "",
        "pkg/c.py": "from .a import A\n",
    })
    assert set(lines) == {("pkg", "pkg.a"), ("pkg.a", "pkg.b"), ("pkg.c", "pkg.a")}
    assert cycles(["pkg", "pkg.a", "pkg.b", "pkg.c"], lines) == []


def test_a_name_from_the_own_package_init_is_an_edge(tmp_path):
    # `from . import X` with X defined in the package's __init__ needs that __init__ finished.
    lines = _tree(tmp_path, {
        "pkg/__init__.py": "from .a import A\nX = 1\n",
        "pkg/a.py": "from . import X\nA = X\n",
    })
    assert set(lines) == {("pkg", "pkg.a"), ("pkg.a", "pkg")}
    assert cycles(["pkg", "pkg.a"], lines) == [["pkg", "pkg.a"]]
