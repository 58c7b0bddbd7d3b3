"""Every endpoint that takes an account by number hides other customers' accounts."""

import pytest

from tests.accounts.factories import AccountFactory
from tests.portal.test_api import as_customer

pytestmark = pytest.mark.django_db


def _operations_on_an_account(client) -> list[tuple[str, str]]:
    """Every (method, path) of the API with an `{number}` account in its path."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    return sorted((method, path) for path, operations in paths.items() if "{number}" in path for method in operations)


def test_every_endpoint_on_an_account_answers_404_for_another_customers_account(client):
    mine = AccountFactory()
    other = AccountFactory()
    headers = as_customer(client, mine.customer)
    operations = _operations_on_an_account(client)

    answers = {}
    for method, path in operations:
        url = path.replace("{number}", other.number).replace("{invoice_number}", "RE-1")
        response = getattr(client, method)(
            url, {} if method == "get" else "{}", content_type="application/json", **headers
        )
        answers[f"{method.upper()} {path}"] = response.status_code

    assert len(operations) >= 9
    assert answers == dict.fromkeys(answers, 404)
