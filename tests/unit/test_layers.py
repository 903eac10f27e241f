"""The folders are the layers: a module imports only downward, never in a circle, and
never inside a function (an import put there to dodge a circle hides a misplaced function).

README's "How it is built" draws the same table.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]

# Top to bottom: a module may import from its own row and the rows below it. Packages in one
# row are siblings that do not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("cxbot.cli",),  # the command line: every command
    ("cxbot.bench",),  # the benchmark, which stages a demo tenant
    ("cxbot.demo",),  # the one-process demo: sandbox, cxbot and a ready tenant
    ("cxbot.runtime",),  # the processes: web + worker + scheduler
    ("cxbot.web",),  # HTTP: the thin Flask factory and its blueprints
    ("cxbot.hub",),  # the hub bot: the admins' chat and its forms
    ("flows",),  # the setup conversations, one table of steps each
    ("cxbot.relay",),  # customer <-> room, by channel, and the outbox
    ("cxbot.desk",),  # counter accounts, links, admins, audit, media
    ("cxbot.context",),  # settings plus the shared services
    ("cxbot.config",),  # the CXBOT_* settings
    ("cxbot.inbox", "cxbot.works", "cxbot.channels"),  # the inbound-event store; the LINE WORKS client; channels
    ("cxbot.storage", "cxbot.mail", "cxbot.line"),  # the database; the mail and LINE clients
    ("cxbot.base",),  # texts, signatures, HTTP helpers, waits
)

# cli.py loads a command's code when that command runs, so that `cxbot --help` and
# `cxbot config check` stay quick and do not open what they do not use.
LATE_IMPORTS_ALLOWED = {"cxbot/cli.py"}


@pytest.fixture(scope="module")
def graph():
    # cache_dir=None: a test leaves no cache folder behind in the checkout.
    return grimp.build_graph("cxbot", "flows", exclude_type_checking_imports=True, cache_dir=None)


def package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "cxbot" else parts[0]


def test_every_package_has_its_row(graph):
    rows = {name for row in LAYERS for name in row} | {"cxbot", "cxbot.sandbox"}
    assert {package_of(m) for m in graph.modules} <= rows, "a new package needs its row in LAYERS (and README)"


def test_no_module_imports_a_layer_above_it_or_a_sibling(graph):
    illegal = graph.find_illegal_dependencies_for_layers(
        layers=[set(row) if len(row) > 1 else row[0] for row in LAYERS])
    found = sorted(f"{dep.importer} -> {dep.imported}: " + "; ".join(
        " -> ".join([",".join(sorted(route.heads)), *route.middle, ",".join(sorted(route.tails))])
        for route in dep.routes) for dep in illegal)
    assert found == [], "imports against the layers:\n" + "\n".join(found)


def test_the_imports_hold_no_circle(graph):
    sorter = graphlib.TopologicalSorter({m: graph.find_modules_directly_imported_by(m) for m in graph.modules})
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        # The sorter lists each module before the one that imports it; read it the other way.
        pytest.fail("import circle (each imports the next): " + " -> ".join(reversed(exc.args[1])))


def test_the_sandbox_imports_nothing_of_the_product_but_where_its_templates_are(graph):
    # An emulator that borrows the code it checks cannot catch a bug in it.
    borrowed = {(m, i) for m in graph.find_descendants("cxbot.sandbox") | {"cxbot.sandbox"}
                for i in graph.find_modules_directly_imported_by(m)
                if package_of(i) not in ("cxbot.sandbox", "cxbot")}
    assert borrowed == set()
    assert graph.find_modules_directly_imported_by("cxbot") == set()  # the root only says where templates are


def late_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import):
                    names = [a.name for a in inner.names]
                elif isinstance(inner, ast.ImportFrom) and inner.level == 0:
                    names = [inner.module or ""]
                elif isinstance(inner, ast.ImportFrom):
                    names = ["." * inner.level + (inner.module or "")]
                else:
                    continue
                ours = [n for n in names if n.split(".")[0] in ("cxbot", "flows") or n.startswith(".")]
                found += [f"{path.relative_to(ROOT)}:{inner.lineno} {node.name}() imports {n}" for n in ours]
    return found


def test_no_function_imports_our_own_modules():
    files = sorted((ROOT / "cxbot").rglob("*.py")) + sorted((ROOT / "flows").rglob("*.py"))
    found = [line for f in files if str(f.relative_to(ROOT)) not in LATE_IMPORTS_ALLOWED for line in late_imports(f)]
    assert found == [], "imports inside functions:\n" + "\n".join(found)
