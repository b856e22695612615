"""The layout holds: imports run one way between apps, the transport stands alone, the mailer
has no import cycle and hides no import in a function, and the SMTP config is read in one place.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import ROOT

# What deliverability may use of smtp_integration: provider data, the permission its pages
# need, and the selectors that say which domain and host to check.
DELIVERABILITY_MAY_USE = {
    "smtp_integration.providers": None,  # any name
    "smtp_integration.selectors": None,
    "smtp_integration.models": {"CHANGE_PERMISSION"},
}
# Imports inside functions that Django's app loading needs (each is commented where it is).
DEFERRED_IMPORTS_ALLOWED = {
    "mailer/__init__.py",
    "mailer/apps.py",
    "mailer/tasks.py",
    # Tasks import the services they run in their bodies: services enqueue tasks.
    "smtp_integration/tasks.py",
}
PROJECT_PACKAGES = {
    "accounts",
    "audit",
    "cymmetri",
    "deliverability",
    "mailer",
    "operations",
    "smtp_integration",
    "tenants",
}


def _python_files(package: str) -> list[Path]:
    return [
        path
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts
    ]


def _imports(package: str, *, top_level_only: bool = False) -> list[tuple[Path, str, str]]:
    """(file, module, name) for every import in the package's Python files."""
    found = []
    for path in _python_files(package):
        tree = ast.parse(path.read_text(), str(path))
        nodes = tree.body if top_level_only else ast.walk(tree)
        for node in nodes:
            if isinstance(node, ast.Import):
                found += [(path, alias.name, "") for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found += [(path, node.module, alias.name) for alias in node.names]
    return found


def _top(module: str) -> str:
    return module.partition(".")[0]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_smtp_integration_never_imports_deliverability():
    wrong = [(str(p), m) for p, m, _ in _imports("smtp_integration") if _top(m) == "deliverability"]

    assert wrong == []


def test_deliverability_uses_only_what_smtp_integration_offers_it():
    def allowed(module: str, name: str) -> bool:
        if _top(module) != "smtp_integration":
            return True
        names = DELIVERABILITY_MAY_USE.get(module, set())
        return names is None or name in names

    wrong = [(str(p), m, n) for p, m, n in _imports("deliverability") if not allowed(m, n)]

    assert wrong == []


def test_the_transport_imports_nothing_of_the_project_outside_itself():
    wrong = [
        (str(path.relative_to(ROOT)), module)
        for path, module, _ in _imports("smtp_integration/transport")
        if _top(module) in PROJECT_PACKAGES and not module.startswith("smtp_integration.transport")
    ]

    assert wrong == []


def test_the_mailer_does_not_import_accounts():
    wrong = [(str(p), m) for p, m, _ in _imports("mailer") if _top(m) == "accounts"]

    assert wrong == []


def test_the_mailer_has_no_import_cycle():
    graph: dict[str, set[str]] = {}
    for path, module, name in _imports("mailer", top_level_only=True):
        if _top(module) == "mailer":
            target = f"{module}.{name}" if module == "mailer" else module
            graph.setdefault(_module_name(path), set()).add(target)
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        for target in graph.get(node, ()):
            if target in trail:
                cycles.append([*trail[trail.index(target) :], target])
            else:
                visit(target, [*trail, target])

    for start in graph:
        visit(start, [start])

    assert cycles == []


def test_no_import_hides_inside_a_function_but_where_app_loading_needs_it():
    hidden = []
    for package in ("mailer", "smtp_integration", "deliverability", "tenants", "audit"):
        for path in _python_files(package):
            relative = str(path.relative_to(ROOT))
            if relative in DEFERRED_IMPORTS_ALLOWED or relative.endswith("/apps.py"):
                continue
            tree = ast.parse(path.read_text(), relative)
            top = set(map(id, tree.body))
            hidden += [
                (relative, node.lineno)
                for node in ast.walk(tree)
                if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top
            ]

    assert hidden == []


def test_only_smtp_integration_reads_the_smtp_config_table():
    readers = [
        str(path.relative_to(ROOT))
        for package in PROJECT_PACKAGES - {"smtp_integration"}
        for path in _python_files(package)
        if "SmtpConfig.objects" in path.read_text()
    ]

    assert readers == []
