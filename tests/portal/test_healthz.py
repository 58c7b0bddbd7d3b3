"""/healthz: what a load balancer or `docker compose` asks before sending traffic."""

import pytest
from kombu.exceptions import OperationalError

from portal.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker_ok_without_signing_in(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_an_unreachable_broker_makes_healthz_fail_with_503(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(celery_app, "connection_for_write", unreachable)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["broker"] == "error: OperationalError"


def test_an_unreachable_database_makes_healthz_fail_with_503(client, monkeypatch):
    from django.db.utils import OperationalError as DatabaseError

    class Unreachable:
        def cursor(self):
            raise DatabaseError("could not connect to server")

    monkeypatch.setattr("portal.views.connection", Unreachable())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError"


def test_healthz_does_not_leak_error_details(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("password authentication failed for user portal at 10.0.0.5")

    monkeypatch.setattr(celery_app, "connection_for_write", unreachable)

    body = client.get("/healthz").content.decode()

    assert "password" not in body
    assert "10.0.0.5" not in body
