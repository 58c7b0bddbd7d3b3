"""The arrears banner of the customer dashboard."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import Account
from arrears.queries.overview import arrears_banner
from core import clock

register = template.Library()


@register.inclusion_tag("arrears/_dashboard_banner.html")
def dashboard_arrears(accounts: list[Account]) -> dict[str, Any]:
    """A note linking to the arrears page when something is overdue or a plan runs or waits."""
    return {"banner": arrears_banner(accounts=list(accounts), as_of=clock.today())}
