"""The package's shape: stages whose imports point only down the flow, no cycles, no path hacks.

The flow is CSV -> photo features -> model inputs -> network -> training / prediction ->
evaluation -> command line; `STAGES` lists amnn's subpackages in that order, after the base
modules every stage may use. A module may import its own stage, an earlier one, or the base.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "amnn"
REPO = PACKAGE.parent
BASE = ("config", "errors", "atomic_files", "jsonio")
STAGES = ("data", "features", "inputs", "model", "train", "serve", "evaluate", "cli")


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path) -> set[str]:
    """Every amnn module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("amnn"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.startswith("amnn"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _graph() -> dict[str, set[str]]:
    """module -> the amnn modules it imports (names resolved to real modules)."""
    graph = {}
    for name, path in MODULES.items():
        deps = set()
        for target in _imports(path):
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                deps.add(target)
        graph[name] = deps
    return graph


def _stage(module: str):
    part = module.split(".")[1] if "." in module else None
    return part


def test_every_module_belongs_to_the_base_or_a_stage():
    homeless = [m for m in MODULES if m != "amnn" and _stage(m) not in BASE + STAGES]
    assert homeless == []


def test_no_module_imports_from_a_later_stage():
    rank = {stage: index for index, stage in enumerate(STAGES)}
    upward = []
    for module, deps in _graph().items():
        here = _stage(module)
        for dep in deps:
            there = _stage(dep)
            if there in BASE or here is None:
                continue
            if here in BASE or rank[there] > rank[here]:
                upward.append(f"{module} -> {dep}")
    assert upward == []


def test_no_import_cycles():
    graph, state, cycles = _graph(), {}, []

    def visit(module, trail):
        state[module] = "open"
        for dep in sorted(graph[module]):
            if state.get(dep) == "open":
                cycles.append(trail[trail.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, trail + [dep])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


@pytest.mark.parametrize("folder", ["amnn", "scripts", "benchmarks", "tests"])
def test_no_sys_path_edits_and_no_plain_config_module(folder):
    offenders = []
    for path in sorted((REPO / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "path" \
                    and isinstance(node.value, ast.Name) and node.value.id == "sys":
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno} uses sys.path")
            if isinstance(node, ast.ImportFrom) and node.module == "config" and not node.level:
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno} imports config")
            if isinstance(node, ast.Import) and any(a.name == "config" for a in node.names):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno} imports config")
    assert offenders == []
