"""The import graph keeps features apart: no view imports another feature's view, form or private name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "oneclick"
FEATURES = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
PRIVATE_TO_A_FEATURE = {"views", "forms"}
# The app factory registers every blueprint and the CLI lists every feature's commands: that is their job.
ASSEMBLERS = {Path("oneclick/__init__.py"), Path("oneclick/cli.py")}


def _imports(path: Path):
    """Yield (imported module as a dotted oneclick path, imported names) for each relative import."""
    here = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = here[:-1] if path.name != "__init__.py" else here[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            module = (*base, *(node.module.split(".") if node.module else ()))
            yield module, [alias.name for alias in node.names]


def _feature_of(parts: tuple[str, ...]) -> str | None:
    return parts[1] if len(parts) > 1 and parts[1] in FEATURES else None


def _crossings():
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE.parent) in ASSEMBLERS:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        mine = _feature_of(parts)
        for module, names in _imports(path):
            theirs = _feature_of(module)
            if theirs is None or theirs == mine:
                continue
            target = module[2:]
            if names and module == module[:2]:  # from ..feature import views
                target = tuple(names)
            yield path.relative_to(PACKAGE.parent), module, target, names


def test_the_package_has_features_to_check():
    assert {"auth", "inbox", "invitations", "landing", "links", "admin", "api"} <= set(FEATURES)


@pytest.mark.parametrize("crossing", list(_crossings()), ids=lambda c: f"{c[0]}->{'.'.join(c[1])}")
def test_no_feature_reaches_into_another_features_views_forms_or_private_names(crossing):
    path, module, target, names = crossing
    assert not set(target) & PRIVATE_TO_A_FEATURE, f"{path} imports {'.'.join(module)} {names}"
    assert not [n for n in names if n.startswith("_")], f"{path} imports private {names} from {'.'.join(module)}"
