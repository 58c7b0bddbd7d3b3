"""The interfaces operators and other systems use stay as they are: the API's
OpenAPI document, the URL patterns outside the admin, and every operator
command with its options. The files under data/ were taken from the portal
before its apps were reorganised; a change here is a change of contract.

New endpoints, schemas and pages may be added (arrears came later): every
path, operation, schema and URL in data/ must still be there, unchanged."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.core.management import get_commands
from django.urls import URLPattern, URLResolver, get_resolver

DATA = Path(__file__).parent / "data"
OUR_APPS = (
    "accounts",
    "arrears",
    "billing",
    "core",
    "meters",
    "metering",
    "orders",
    "outages",
    "payments",
    "portal",
    "supply",
    "support",
)


def _patterns(resolver: URLResolver, prefix: str = "") -> list[str]:
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            found.append(f"{prefix}{entry.pattern} {entry.name or ''}")
    return found


def _our_commands() -> dict[str, str]:
    return {name: app for name, app in get_commands().items() if app in OUR_APPS}


def _help(name: str) -> str:
    """What an operator sees for `manage.py NAME --help` (blank lines left out)."""
    printed = subprocess.run(
        [sys.executable, "manage.py", name, "--help"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "80"},
    ).stdout
    lines = printed.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("usage"))
    return "\n".join(line for line in lines[start:] if line.strip())


def test_the_openapi_document_keeps_every_path_field_and_scope(client):
    document = client.get("/api/v1/openapi.json").json()

    expected = json.loads((DATA / "openapi.json").read_text())
    assert sorted(set(expected["paths"]) - set(document["paths"])) == []
    for path, operations in expected["paths"].items():
        assert document["paths"][path] == operations, path
    for kind in ("schemas", "securitySchemes"):
        known = expected["components"][kind]
        assert sorted(set(known) - set(document["components"][kind])) == [], kind
        for name, definition in known.items():
            assert document["components"][kind][name] == definition, name
    assert {key: value for key, value in document.items() if key not in ("paths", "components")} == {
        key: value for key, value in expected.items() if key not in ("paths", "components")
    }


def test_every_url_outside_the_admin_is_where_it_was():
    current = {line for line in _patterns(get_resolver()) if not line.lstrip("^").startswith("admin/")}

    expected = (DATA / "urls.txt").read_text().splitlines()
    assert [line for line in expected if line not in current] == []


def test_the_operator_commands_keep_their_names_and_options():
    expected = {}
    for block in (DATA / "commands_help.txt").read_text().split("=== ")[1:]:
        name, _, text = block.partition("\n")
        expected[name] = text.rstrip("\n")

    assert sorted(_our_commands()) == sorted(expected)
    for name in _our_commands():
        assert _help(name) == expected[name], name
