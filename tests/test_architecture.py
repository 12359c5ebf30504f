"""The layers of the package, checked from its source: imports only go down, no cycles (lazy
imports included), no codec names a call, and every per-Kind table covers every Kind."""

from __future__ import annotations

import ast
import itertools
import pathlib
from collections.abc import Iterator

import pytest

from smsc_formats import values
from smsc_formats.spec import CALLS, Form, Kind

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "smsc_formats"

# From the bottom. A module may import its own layer or a lower one, never a higher one.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "spec", "model", "values"),
    ("charset", "codecs"),
    ("api", "streaming", "canonical", "request", "redact"),
    ("checks",),
    ("sim",),
    ("edge",),
    ("strategies", "testing"),  # the user's test-suite seat: they read a corpus through edge/
    ("cli", "pytest_plugin", "_hypothesis", "__main__"),
)
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}


def _modules() -> Iterator[tuple[str, pathlib.Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def _imports(module: str, path: pathlib.Path) -> Iterator[str]:
    """Every smsc_formats module ``module`` imports, at the top or inside a function."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("smsc_formats"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith("smsc_formats"):
                target = node.module
            else:
                continue
            subs = [f"{target}.{a.name}" for a in node.names
                    if (PACKAGE.parent / f"{target}.{a.name}".replace(".", "/")).with_suffix(
                        ".py").exists()]
            # `from . import fmt0_text` imports that module, not its package's __init__
            yield from subs if len(subs) == len(node.names) else [target, *subs]


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


GRAPH = {m: sorted(set(_imports(m, p))) for m, p in _modules()}


def test_every_part_has_a_layer() -> None:
    parts = {_part(m) for m in GRAPH} - {""}
    assert parts <= set(LAYER), f"give these a layer: {sorted(parts - set(LAYER))}"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if _part(m)))
def test_imports_only_go_down(module: str) -> None:
    mine = LAYER[_part(module)]
    upward = [t for t in GRAPH[module] if _part(t) and LAYER[_part(t)] > mine]
    assert upward == []


def test_the_parser_core_does_not_know_the_checks() -> None:
    assert not [t for t in GRAPH["smsc_formats.api"] if _part(t) == "checks"]


def test_no_import_cycles() -> None:
    """Between modules below the package root (whose __init__ is the public face)."""
    graph = {m: [t for t in ts if t in GRAPH and t not in ("smsc_formats", m)]
             for m, ts in GRAPH.items() if m != "smsc_formats"}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt):], nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [node])
    # a package's __init__ importing its own submodules is not a cycle back into it
    real = [c for c in cycles if not any(a.startswith(b + ".") or b.startswith(a + ".")
                                         for a, b in itertools.pairwise(c))]
    assert real == []


def test_the_probe_sees_lazy_and_relative_imports(tmp_path: pathlib.Path) -> None:
    """The import reader is not blind: a lazy relative import inside a function counts."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from ..checks import conformance\n    from .. import api\n")
    assert set(_imports("smsc_formats.codecs.probe", probe)) >= {"smsc_formats.checks.conformance",
                                                                 "smsc_formats.api"}


NAMES = [*CALLS, *{r.name for c in CALLS.values() for r in c.records()}]


@pytest.mark.parametrize("path", sorted((PACKAGE / "codecs").glob("*.py")), ids=lambda p: p.name)
def test_no_codec_names_a_call(path: pathlib.Path) -> None:
    strings = [n.value for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    named = [s for s in strings for name in NAMES if name in s]
    assert named == []


PAIRS = {(k, Form.VALUE) for k in Kind if k is not Kind.INSTANT} | {
    (Kind.INSTANT, Form.DATE), (Kind.INSTANT, Form.TIMESTAMP)}


@pytest.mark.parametrize("table", ["SHAPES", "_WHAT", "_READERS", "_WRITERS"])
def test_every_per_kind_table_covers_every_kind(table: str) -> None:
    assert set(getattr(values, table)) == PAIRS


def test_a_form_a_kind_does_not_have_is_refused() -> None:
    with pytest.raises(values.ValueProblem, match="has no timestamp form"):
        values.reader(Kind.MONEY, Form.TIMESTAMP)
