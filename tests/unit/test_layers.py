"""The code's folders are its layers: a module imports only from its own layer or below,
never in a circle, and never hides an import inside a function to get round either.

The layers, top first (a row's packages are independent of each other):
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = (
    ("cxbot.cli",),                                # the commands
    ("cxbot.bench",),                              # beside the product: measures it
    ("cxbot.demo",),                               # beside the product: shows it
    ("cxbot.runtime",),                            # worker, scheduler, one-process start
    ("cxbot.web",),                                # Flask: callback, webhooks, forms, health
    ("cxbot.hub",),                                # the hub bot's chat with admins
    ("flows",),                                    # the setup conversations
    ("cxbot.relay",),                              # inquiries into rooms and answers back
    ("cxbot.desk",),                               # counter accounts, links, admins, audit
    ("cxbot.context",),                            # the service container
    ("cxbot.config",),                             # settings
    ("cxbot.channels",),                           # what each channel is (facts only)
    ("cxbot.inbox",),                              # the inbound-event store
    ("cxbot.works", "cxbot.line", "cxbot.mail"),   # the platform clients
    ("cxbot.storage",),                            # database, tables, locks, encryption at rest
    ("cxbot.base",),                               # plumbing that knows nothing of the product
)
# The sandbox emulates the platforms from their docs: it may not borrow the product's code.
LEAVES = ("cxbot.sandbox",)
ANYONE_MAY_IMPORT = {"cxbot"}  # the package face: TEMPLATES_DIR, __version__
# Commands import what they run when they run, so `cxbot --help` starts fast.
LATE_IMPORTS_ALLOWED_IN = {"cxbot/cli.py"}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("cxbot", "flows")


def _layer_of(module: str) -> tuple[int, str] | None:
    for level, row in enumerate(LAYERS):
        for package in row:
            if module == package or module.startswith(package + "."):
                return level, package
    return None


def _imports(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    return [(m, d) for m in sorted(graph.modules) for d in sorted(graph.find_modules_directly_imported_by(m))]


def test_every_module_sits_in_a_layer(graph):
    homeless = [m for m in graph.modules if m not in ANYONE_MAY_IMPORT and _layer_of(m) is None
                and not any(m == leaf or m.startswith(leaf + ".") for leaf in LEAVES)]
    assert homeless == [], "add these to a layer in tests/unit/test_layers.py"


def upward_imports(graph: grimp.ImportGraph) -> list[str]:
    found = []
    for module, imported in _imports(graph):
        if imported in ANYONE_MAY_IMPORT:
            continue
        here, there = _layer_of(module), _layer_of(imported)
        if here is None or there is None:
            continue
        if there[0] < here[0] or (there[0] == here[0] and there[1] != here[1]):
            found.append(f"{module} -> {imported}")
    return found


def test_no_module_imports_a_layer_above_its_own(graph):
    assert upward_imports(graph) == []


def test_the_sandbox_borrows_nothing_from_the_product(graph):
    borrowed = [f"{m} -> {d}" for m, d in _imports(graph)
                if m.startswith(LEAVES) and not d.startswith(LEAVES) and d not in ANYONE_MAY_IMPORT]
    assert borrowed == []


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.find_modules_directly_imported_by(v)):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_circles(graph):
    assert circles(graph) == []


def late_imports() -> list[str]:
    """Imports of cxbot or flows inside a function: each is a function in the wrong file."""
    found = []
    for path in sorted([*ROOT.glob("cxbot/**/*.py"), *ROOT.glob("flows/*.py")]):
        rel = path.relative_to(ROOT).as_posix()
        if rel in LATE_IMPORTS_ALLOWED_IN:
            continue
        tree = ast.parse(path.read_text(), rel)
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in ("cxbot", "flows"):
                    found.append(f"{rel}:{node.lineno} from {node.module}")
                elif isinstance(node, ast.Import) and any(a.name.split(".")[0] in ("cxbot", "flows") for a in node.names):
                    found.append(f"{rel}:{node.lineno} import {node.names[0].name}")
    return found


def test_no_import_hides_inside_a_function():
    assert late_imports() == []
