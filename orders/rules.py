"""Who may order a product with a rule (Product.rule): a higher app that
knows the answer registers a check (arrears: "requires an approved
disconnection"); a rule nobody registered refuses."""

from __future__ import annotations

from collections.abc import Callable

from accounts.models import Account

_checks: dict[str, Callable[[Account], bool]] = {}


def order_rule_register(rule: str, check: Callable[[Account], bool]) -> None:
    """`check(account)` says whether the account may order products with `rule`."""
    _checks[rule] = check


def order_rule_allows(rule: str, account: Account) -> bool:
    if not rule:
        return True
    check = _checks.get(rule)
    return bool(check and check(account))
