"""The JSON API at /api/v1/ (django-ninja); OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

Every app's endpoints live in its own router (accounts, supply, metering,
billing, payments, arrears, orders); this module builds the API and mounts them. The
credentials (customer session token, API key with scopes) are the kernel's
(core.api); which accounts a caller sees is the accounts app's rule
(accounts.api.account_visible).

No or unknown credentials give 401, a key without the endpoint's scope 403.
Another customer's account is 404, exactly like one that does not exist.
Messages follow the request's Accept-Language (German by default).
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser

from accounts.api import router as accounts_router
from arrears.api import router as arrears_router
from billing.api import router as billing_router
from core.api import ErrorDetail
from metering.api import router as metering_router
from orders.api import router as orders_router
from outages.api import router as outages_router
from payments.api import router as payments_router
from supply.api import router as supply_router


class BodyParser(Parser):
    """A body that is not JSON at all is passed on as text, so it fails
    validation like any other body that is not a JSON object: 422 in the
    usual shape instead of a bare 400."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            return super().parse_body(request)
        except ValueError:
            return request.body.decode("utf-8", errors="replace")


class PortalApi(NinjaAPI):
    """The OpenAPI document is a published contract (tests/portal/data/openapi.json):
    it has always listed ErrorDetail, the shape of each item of InvalidInput's
    `detail`, among its schemas."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema["components"]["schemas"]["ErrorDetail"] = ErrorDetail.model_json_schema()
        return schema


api = PortalApi(
    title="Utility portal API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
    parser=BodyParser(),
)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = _("Authentication required: send a customer session token (X-Session-Token) or an API key (X-API-Key).")
    response = api.create_response(request, {"detail": message}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(ValidationError)
def request_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Requests the schemas reject, in the same shape as the form's messages."""
    errors: dict[str, str] = {}
    detail: list[dict[str, Any]] = []
    for error in exc.errors:
        source, *path = [str(part) for part in error["loc"]]
        if source == "body" and len(path) <= 1:
            if error.get("type") == "list_type":
                message = _("The request body must be a JSON list.")
            else:
                message = _("The request body must be a JSON object.")
            loc = ["body"]
        else:
            message = _("Enter a valid value.")
            loc = [source, path[-1]]
        errors.setdefault(loc[-1], message)
        detail.append({"loc": loc, "msg": message})
    return api.create_response(request, {"errors": errors, "detail": detail}, status=422)


api.add_router("", accounts_router)
api.add_router("", supply_router)
api.add_router("", metering_router)
api.add_router("", payments_router)
api.add_router("", billing_router)
api.add_router("", arrears_router)
api.add_router("", orders_router)
api.add_router("", outages_router)
