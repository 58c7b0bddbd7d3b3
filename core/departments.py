"""Other departments are told of customer changes.

Admins subscribe recipients (a team's e-mail address, a back-office queue or
an outbound webhook) to kinds of change. The apps that make a change call
`change_announce` once the change is saved; deliveries happen after the
transaction commits, so a rolled-back change tells nobody.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

# The kinds of change a subscription can ask for.
CHANGE_KINDS = (
    ("address", _("billing address")),
    ("bank", _("bank details")),
    ("contact", _("contact details")),
    ("name", _("name or account holder")),
    ("termination", _("end of supply")),
    ("move", _("moving house")),
)


def change_announce(
    *, kind: str, account_number: str, summary: dict[str, Any], at: dt.datetime | None = None
) -> None:
    """Tell every subscription to `kind` that account `account_number` changed.

    `summary` is JSON-serialisable: what changed (field: {"old", "new"}), who
    asked and through which channel. Call it inside or after the transaction
    that saved the change."""
    if kind not in dict(CHANGE_KINDS):
        raise ValueError(f"unknown change kind {kind!r}")
