"""Imports run one way: deliverability reads a few things of smtp_integration, never back."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import ROOT

# What deliverability may use of smtp_integration: provider data, the permission its pages
# need, and the selectors that say which domain and host to check.
ALLOWED = {
    "smtp_integration.providers": None,  # any name
    "smtp_integration.selectors": None,
    "smtp_integration.models": {"CHANGE_PERMISSION"},
}


def _imports(package: str) -> list[tuple[Path, str, str]]:
    """(file, module, name) for every import in the package's Python files."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found += [(path, alias.name, "") for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                found += [(path, node.module, alias.name) for alias in node.names]
    return found


def _top(module: str) -> str:
    return module.partition(".")[0]


def test_smtp_integration_never_imports_deliverability():
    wrong = [(str(p), m) for p, m, _ in _imports("smtp_integration") if _top(m) == "deliverability"]

    assert wrong == []


def _allowed(module: str, name: str) -> bool:
    if _top(module) != "smtp_integration":
        return True
    names = ALLOWED.get(module, set())
    return names is None or name in names


def test_deliverability_uses_only_what_smtp_integration_offers_it():
    wrong = [
        (str(path), module, name)
        for path, module, name in _imports("deliverability")
        if not _allowed(module, name)
    ]

    assert wrong == []
