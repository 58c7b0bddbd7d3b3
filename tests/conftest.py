import pytest

from portal.celery import app as celery_app


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


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate limits live in the cache; every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def english_outside_requests():
    """Code that runs outside a request (services, forms in unit tests) speaks
    English in tests unless a test chooses otherwise; requests still get the
    portal's language choice (German by default) from the middleware."""
    from django.utils import translation

    with translation.override("en"):
        yield
