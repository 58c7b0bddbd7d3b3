"""API keys for integrations: created once, shown once, stored as a hash."""

import hashlib
import secrets

from django.db import transaction

from core import clock
from core.models import ApiKey

KNOWN_SCOPES = (
    "accounts:read",
    "customers:write",
    "reads:write",
    "payments:read",
    "payments:write",
    "supply:write",
    "billing:read",
    "arrears:read",
    "arrears:write",
    "orders:read",
    "orders:write",
    "interruptions:write",
)


class UnknownScope(ValueError):
    """A scope that the portal does not know."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(*, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the plain key, which is never stored."""
    unknown = sorted(set(scopes) - set(KNOWN_SCOPES))
    if unknown:
        raise UnknownScope(f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(KNOWN_SCOPES)}")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    plain = f"up_{prefix}_{secret}"
    with transaction.atomic():
        key = ApiKey.objects.create(name=name, prefix=prefix, hashed_key=_hash(plain), scopes=sorted(set(scopes)))
    return key, plain


def api_key_authenticate(plain: str) -> ApiKey | None:
    """The active key for `plain`, or None."""
    parts = plain.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "up":
        return None
    key = ApiKey.objects.filter(prefix=parts[1], revoked_at__isnull=True).first()
    if key is None or not secrets.compare_digest(key.hashed_key, _hash(plain.strip())):
        return None
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=clock.now())
    return key


def api_key_revoke(*, key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=clock.now())
