"""The house's shape: no import circle between our modules, no app that
outgrows the others, and every Celery task a worker must know registered
under its name when the worker starts."""

import json
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

import grimp
from django.conf import settings

from portal.celery import app as celery_app

BASE_DIR = Path(settings.BASE_DIR)
APPS: list[str] = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["tool"]["importlinter"]["root_packages"]
BIGGEST_APP_SHARE = 0.25


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of `graph` (node -> the nodes it
    points at) that hold more than one node, each sorted: the import circles.
    Iterative, so that a long chain of imports cannot exhaust the stack."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
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


def test_the_circle_finder_finds_circles_and_nothing_else():
    graph = {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": ["e"], "e": ["d"], "f": ["a"], "g": ["g"]}

    assert strongly_connected(graph) == [["a", "b", "c"], ["d", "e"]]


def test_every_top_level_package_is_an_app_the_checks_cover():
    packages = {path.parent.name for path in BASE_DIR.glob("*/__init__.py")} - {"tests"}

    assert packages == set(APPS)


def test_no_module_imports_itself_through_a_circle():
    """Imports inside functions and under TYPE_CHECKING count too: a circle is a
    circle wherever its import statement stands."""
    graph = grimp.build_graph(*APPS, include_external_packages=False, cache_dir=None)
    imports = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}

    circles = strongly_connected(imports)

    report = []
    for circle in circles:
        report.append(" <-> ".join(circle))
        members = set(circle)
        for importer in circle:
            for imported in sorted(imports[importer] & members):
                for detail in graph.get_import_details(importer=importer, imported=imported):
                    report.append(f"    {importer}:{detail['line_number']}: {detail['line_contents']}")
    assert not circles, "import circles:\n" + "\n".join(report)


def python_lines(app: str) -> int:
    return sum(
        len(path.read_text(encoding="utf-8").splitlines())
        for path in (BASE_DIR / app).rglob("*.py")
        if "migrations" not in path.relative_to(BASE_DIR).parts
    )


def test_the_biggest_app_holds_under_a_quarter_of_the_code():
    lines = {app: python_lines(app) for app in APPS}
    total = sum(lines.values())
    biggest = max(lines, key=lines.__getitem__)

    rows = [f"{app:<10} {count:>7} {count / total:>7.1%}" for app, count in sorted(lines.items(), key=lambda i: -i[1])]
    table = "\n".join([*rows, f"{'total':<10} {total:>7}"])
    assert lines[biggest] < BIGGEST_APP_SHARE * total, (
        f"{biggest} holds {BIGGEST_APP_SHARE:.0%} of the code or more:\n{table}"
    )


def test_a_starting_worker_knows_every_task_by_the_name_it_is_sent_under():
    """A task lives beside the service that queues it; the app's tasks.py, which
    the worker discovers, brings it in under the name it has always had (the
    beat schedule and messages already queued use it). Checked in a fresh
    interpreter, as a worker starts."""
    script = (
        "import json, django\n"
        "from portal.celery import app\n"
        "django.setup()\n"
        "app.loader.import_default_modules()\n"
        "print(json.dumps(sorted(app.tasks)))\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], cwd=BASE_DIR, capture_output=True, text=True, check=True, timeout=120
    )
    registered = set(json.loads(result.stdout.splitlines()[-1]))

    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    queued_by_services = {
        "billing.tasks.bill_run_chunk",
        "billing.tasks.deliver_invoice",
        "core.tasks.deliver_message",
        "metering.tasks.import_reads_job",
    }
    assert beat | queued_by_services <= registered
    assert {name for name in celery_app.tasks if not name.startswith("celery.")} <= registered
