"""The suite's fixtures live in fixture modules under tests/fixtures/, loaded here."""

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.services",
    "tests.fixtures.clients",
    "tests.fixtures.workers",
    "tests.fixtures.smtp",
    "tests.fixtures.dns",
    "tests.fixtures.browser",
    "tests.fixtures.api",
]
