"""The back-office form that starts a bill run."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.services.runs import BillRunRefused, bill_run_date_check


class BillRunStartForm(forms.Form):
    """The date and the dry-run switch; the second submit (`confirmed`)
    starts the run after staff have seen what it will do."""

    as_of = forms.DateField(
        label=_("Bill the periods that ended on or before"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: compute the bills and save none"),
        required=False,
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["as_of"].initial = today

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        as_of = cleaned.get("as_of")
        if as_of is not None:
            try:
                bill_run_date_check(as_of=as_of, dry_run=cleaned.get("dry_run", False), today=self.today)
            except BillRunRefused as refusal:
                self.add_error("as_of", str(refusal))
        return cleaned
