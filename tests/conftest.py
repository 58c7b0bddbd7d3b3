"""Fixtures for every test, and what keeps parallel workers apart.

`make test` runs pytest on several processes (pytest-xdist). Each worker has
a test database of its own (pytest-django names them test_<name>_gw0,
test_<name>_gw1, …); `pytest_configure` below gives each worker its own share
of the rest of what the settings point at, so that tests on one worker
cannot see or spoil those on another: cache keys (a Redis cache is shared),
uploaded files (MEDIA_ROOT) and the stored support classifier.
"""

import importlib

import pytest

from portal.celery import app as celery_app


def pytest_configure(config):
    from django.conf import settings
    from django.test.utils import override_settings

    worker = getattr(config, "workerinput", {}).get("workerid")  # "gw0", … under pytest-xdist
    if not worker:
        return
    from support.classifier import model_path

    shared = model_path()
    override_settings(
        # Keys of our own on a cache the workers share (Redis); `fresh_cache`
        # empties only these.
        CACHES={
            alias: {**cache, "KEY_PREFIX": f"{cache.get('KEY_PREFIX') or ''}test-{worker}"}
            for alias, cache in settings.CACHES.items()
        },
        # The first question trains the classifier if its file is missing or
        # stale (var/models/, kept between runs): two workers training into the
        # same file at once would clobber each other's.
        SUPPORT_MODEL_PATH=str(shared.with_name(f"{shared.stem}-test-{worker}{shared.suffix}")),
    ).enable()


def _seeded_defaults_again(sender, apps=None, **kwargs):
    """A transactional test (the browser tests) ends with a flush, which empties
    what the data migrations seeded; the flush's post_migrate puts the same
    defaults back (VAT rates, dunning procedures and base rates, the order catalogue,
    the causes of interruption, the operations queue), as it does
    for permissions, so the next test on the worker sees the seeded database."""
    from django.apps import apps as django_apps

    for module, function in (
        ("supply.migrations.0002_agreement_overlap_and_vat_defaults", "seed_vat"),
        ("arrears.migrations.0003_seed_procedures_and_base_rates", "seed"),
        ("orders.migrations.0002_seed_demo_catalogue", "seed"),
        ("outages.migrations.0002_seed_causes", "seed"),
        ("support.migrations.0002_operations_queue", "create"),
    ):
        getattr(importlib.import_module(module), function)(apps or django_apps, None)


@pytest.fixture(scope="session", autouse=True)
def seeded_defaults_after_flush():
    from django.apps import apps
    from django.db.models.signals import post_migrate

    post_migrate.connect(
        _seeded_defaults_again, sender=apps.get_app_config("arrears"), dispatch_uid="tests_seeded_defaults"
    )
    yield
    post_migrate.disconnect(dispatch_uid="tests_seeded_defaults", sender=apps.get_app_config("arrears"))


@pytest.fixture(scope="session", autouse=True)
def media_root(tmp_path_factory):
    """Files the code under test stores (bills, statements, attachments) go to
    a directory of this run and worker, not to var/media; tests that look at
    the files set a MEDIA_ROOT of their own."""
    from django.test.utils import override_settings

    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))):
        yield


@pytest.fixture(autouse=True)
def eager_celery(request):
    """Unit tests run tasks in-process; integration tests use a real worker."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def cache_clear():
    """Empty the cache, or on a shared Redis only this worker's keys (clear()
    would empty the whole Redis database, other workers' rate limits too)."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]  # the backend itself (django.core.cache.cache is a proxy)
    if not (isinstance(cache, RedisCache) and cache.key_prefix):
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate limits live in the cache; every test starts with none."""
    cache_clear()
    yield
    cache_clear()


@pytest.fixture(autouse=True)
def english_outside_requests():
    """Code that runs outside a request (services, forms in unit tests) speaks
    English in tests unless a test chooses otherwise; requests still get the
    portal's language choice (German by default) from the middleware."""
    from django.utils import translation

    with translation.override("en"):
        yield
