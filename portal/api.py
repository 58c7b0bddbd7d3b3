"""The JSON API at /api/v1/ (django-ninja), OpenAPI at /api/v1/openapi.json."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Utility portal API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
)
