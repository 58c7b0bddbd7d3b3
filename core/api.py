"""What every app's JSON API router shares: the two kinds of credentials, the
scope check and the error bodies.

- customers (the mobile app) send the allauth headless session token from
  POST /_allauth/app/v1/auth/login in the ``X-Session-Token`` header
  (`customer_auth`; the request's auth is the user);
- integrations send an API key (``manage.py create_api_key``) as
  ``X-API-Key: <key>``, ``Authorization: Bearer <key>`` or
  ``Authorization: Api-Key <key>`` (`ApiKeyAuth(scope=...)`; the request's
  auth is the ApiKey, and a key without the scope is refused with 403).

Which accounts a caller may see is the accounts app's rule (accounts.api)."""

from typing import Any

from allauth.headless.contrib.ninja.security import XSessionTokenAuth
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import HttpError
from ninja.security.base import AuthBase

from core.apikeys import KNOWN_SCOPES, api_key_authenticate
from core.models import ApiKey


class CustomerSessionAuth(XSessionTokenAuth):
    """allauth's headless session token; the request's auth is the user."""

    openapi_in = "header"
    openapi_name = "X-Session-Token"
    openapi_description = "Customer session token from POST /_allauth/app/v1/auth/login (app client)."


class ApiKeyAuth(AuthBase):
    """An integration's API key that carries `scope`; the request's auth is the ApiKey.

    A valid key without the scope is refused with 403 here, so the endpoint
    never runs for it.
    """

    openapi_type = "apiKey"
    openapi_in = "header"
    openapi_name = "X-API-Key"
    openapi_description = (
        "Integration API key from `manage.py create_api_key`. Also accepted as "
        "`Authorization: Bearer <key>` or `Authorization: Api-Key <key>`."
    )
    AUTHORIZATION_SCHEMES = ("bearer", "api-key")

    def __init__(self, *, scope: str) -> None:
        if scope not in KNOWN_SCOPES:
            raise ValueError(f"unknown scope {scope!r}; known: {', '.join(KNOWN_SCOPES)}")
        self.scope = scope
        super().__init__()

    def __call__(self, request: HttpRequest) -> ApiKey | None:
        plain = self.key_from(request)
        if not plain:
            return None
        key = api_key_authenticate(plain)
        if key is None:
            return None
        if not key.has_scope(self.scope):
            raise HttpError(
                403,
                _("This API key lacks the scope “%(scope)s” that this request needs.") % {"scope": self.scope},
            )
        return key

    def key_from(self, request: HttpRequest) -> str:
        key = request.headers.get("X-API-Key", "").strip()
        if key:
            return key
        scheme, _space, credential = request.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() in self.AUTHORIZATION_SCHEMES:
            return credential.strip()
        return ""


customer_auth = CustomerSessionAuth()


def customer_or_key(*, scope: str) -> list[AuthBase]:
    """A customer's session token, or an API key with `scope`."""
    return [customer_auth, ApiKeyAuth(scope=scope)]


# --- Error bodies ------------------------------------------------------------


class Message(Schema):
    detail: str


class ErrorDetail(Schema):
    loc: list[str]
    msg: str


# One message a field in `errors`; every message, located, in `detail` (each
# item an ErrorDetail; the published document declares them as plain objects).
class InvalidInput(Schema):
    errors: dict[str, str]
    detail: list[dict[str, Any]]


def invalid_input(messages: dict[str, list[str]]) -> dict[str, Any]:
    """The 422 (and 409) body for `messages` by field, body fields located under "body"."""
    return {
        "errors": {field: texts[0] for field, texts in messages.items()},
        "detail": [{"loc": ["body", field], "msg": text} for field, texts in messages.items() for text in texts],
    }
