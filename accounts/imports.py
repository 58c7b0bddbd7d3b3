"""Importing customers from a CSV file, for a utility moving its customers here.

Every row goes through the onboarding wizard's form (`CustomerDetailsForm` with
all fields) and is saved by `customer_onboard` in its own transaction. The
`external_ref` column (the customer's id in the old system) makes a re-run
harmless: a row whose reference is already imported is skipped.

A higher layer may import more columns with each row (billing adds the
customer's supplies, one row per supply): it passes `extra`, a `RowColumns`,
which checks those cells for the row's customer and saves them in the same
transaction as a new customer. Rows of a customer imported already are then
not skipped as a whole: their extra part is imported unless it is there
already.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.forms import CustomerDetailsForm
from accounts.models import Account, Customer, PaymentMethod
from accounts.services import EmailAlreadyUsed, ExternalRefAlreadyUsed, customer_onboard
from core.csvfiles import default_encoding, header_read

COLUMNS = (
    "external_ref",
    "customer_type",
    "first_name",
    "last_name",
    "company",
    "vat_id",
    "email",
    "phone",
    "street",
    "house_number",
    "postcode",
    "city",
    "country",
    "language",
    "payment_method",
    "iban",
    "account_holder",
    "mandate_reference",
    "mandate_signed_date",
)
# CSV column -> form field, where the names differ.
FORM_FIELD_FOR_COLUMN = {"company": "company_name"}
COLUMN_FOR_FORM_FIELD = {form_field: column for column, form_field in FORM_FIELD_FOR_COLUMN.items()}
# Columns the import reads itself instead of handing them to the form.
OWN_COLUMNS = ("external_ref", "mandate_signed_date")
EXTERNAL_REF_MAX_LENGTH = Customer._meta.get_field("external_ref").max_length
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")
NON_FIELD = "__all__"


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, not CSV, columns missing)."""


@dataclass(frozen=True)
class CustomerFile:
    """A decoded CSV file whose header names every required column."""

    text: str
    delimiter: str
    header: tuple[str, ...]


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reasons: tuple[str, ...]

    def report_lines(self) -> list[str]:
        return [_("line %(line)d: %(reason)s") % {"line": self.line, "reason": reason} for reason in self.reasons]


@dataclass(frozen=True)
class RowCustomer:
    """The customer a row belongs to, as the extra columns need it; `account`
    is None while it is not saved (a new customer, or any in a dry run)."""

    external_ref: str
    customer_type: str
    street: str
    house_number: str
    address_extra: str
    postcode: str
    city: str
    country: str
    account: Account | None


class RowRejected(Exception):
    """Raised by `RowColumns`: the row's extra cells are wrong ({column: [messages]})."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


class RowAlreadyImported(Exception):
    """Raised by `RowColumns.check`: the row's extra part is imported already."""


class RowColumns(Protocol):
    """Columns a higher layer imports with each row.

    `check` returns what `save` needs, or None when the row's extra cells are
    empty, or raises RowAlreadyImported / RowRejected. `save` writes it for
    the row's account (inside the new customer's transaction, so RowRejected
    from it rolls the customer back too). `remember` is told every checked
    part that was imported (or, in a dry run, would be), so later rows can be
    checked against it. `noun` names the parts in the summary ("supplies").
    """

    columns: tuple[str, ...]
    noun: str

    def check(self, *, values: dict[str, str], customer: RowCustomer) -> Any: ...

    def save(self, *, account: Account, checked: Any) -> None: ...

    def remember(self, *, line: int, checked: Any) -> None: ...


@dataclass
class ImportReport:
    dry_run: bool
    created: int = 0
    skipped: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    # The extra columns' parts (e.g. supplies), when the file has them.
    extra_noun: str = ""
    extra_created: int = 0
    extra_skipped: int = 0

    def summary(self) -> str:
        counts = {"created": self.created, "skipped": self.skipped, "rejected": len(self.rejected)}
        if self.dry_run:
            text = (
                _(
                    "dry run, nothing saved: would create %(created)d, skipped (already imported) %(skipped)d, "
                    "rejected %(rejected)d"
                )
                % counts
            )
        else:
            text = _("created %(created)d, skipped (already imported) %(skipped)d, rejected %(rejected)d") % counts
        if not self.extra_noun:
            return text
        extra = {"noun": self.extra_noun, "created": self.extra_created, "skipped": self.extra_skipped}
        if self.dry_run:
            return text + "; " + _("%(noun)s: would create %(created)d, skipped (already imported) %(skipped)d") % extra
        return text + "; " + _("%(noun)s: created %(created)d, skipped (already imported) %(skipped)d") % extra


@dataclass
class _SeenInFile:
    """What the rows created so far (in this run) use, by line number."""

    external_refs: set[str] = field(default_factory=set)
    emails: dict[str, int] = field(default_factory=dict)
    mandate_references: dict[str, int] = field(default_factory=dict)
    # Customers of earlier rows, for the extra columns of later rows (a dry run saves none).
    customers: dict[str, RowCustomer] = field(default_factory=dict)


@dataclass(frozen=True)
class _Imported:
    """What a row did: its customer created (else skipped), its extra part created or skipped."""

    customer_created: bool
    extra_created: bool = False
    extra_skipped: bool = False


class _Skipped(Exception):
    """The row's customer is imported already."""


class _Rejected(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__(reasons)
        self.reasons = reasons


def customer_file_read(*, path: Path, encoding: str | None = None) -> CustomerFile:
    """Read and decode the file, find its delimiter and check its header.

    Without `encoding` the file is UTF-8 (with or without byte order mark) or
    UTF-16 with a byte order mark. A structural CSV error anywhere in the file
    is raised here, before any row is saved.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise ImportFileError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": error.strerror or error}
        ) from error
    text = _decode(raw=raw, path=path, encoding=encoding).lstrip("\ufeff")
    if not text.strip():
        raise ImportFileError(_("%(path)s is empty.") % {"path": path})
    if "\x00" in text:
        raise ImportFileError(_("%(path)s is not a CSV text file.") % {"path": path})
    delimiter, cells = header_read(text.splitlines()[0], columns=COLUMNS)
    header = tuple(cells)
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise ImportFileError(
            _("%(path)s lacks required columns: %(missing)s. The header must name: %(columns)s.")
            % {"path": path, "missing": ", ".join(missing), "columns": ", ".join(COLUMNS)}
        )
    repeated = sorted({column for column in header if column and header.count(column) > 1})
    if repeated:
        raise ImportFileError(
            _("%(path)s names these columns more than once: %(repeated)s.")
            % {"path": path, "repeated": ", ".join(repeated)}
        )
    source = CustomerFile(text=text, delimiter=delimiter, header=header)
    reader = _reader(source)
    try:
        for _row in reader:
            pass
    except csv.Error as error:
        raise ImportFileError(
            _("%(path)s is not valid CSV near line %(line)d: %(error)s")
            % {"path": path, "line": reader.line_num, "error": error}
        ) from error
    return source


def customers_import(
    *, source: CustomerFile, as_of: dt.date, notify: bool, dry_run: bool, extra: RowColumns | None = None
) -> ImportReport:
    """Validate every row like the onboarding wizard and onboard the good ones.

    Each row is saved in its own transaction; a row whose `external_ref` is
    imported already is skipped (but for its `extra` part), a bad row is
    rejected with all its reasons. `as_of` is the mandate signature date for
    rows that give none.
    """
    report = ImportReport(dry_run=dry_run, extra_noun=str(extra.noun) if extra else "")
    seen = _SeenInFile()
    for line, cells in _rows(source):
        try:
            imported = _row_import(
                line=line,
                cells=cells,
                source=source,
                seen=seen,
                as_of=as_of,
                notify=notify,
                dry_run=dry_run,
                extra=extra,
            )
        except _Skipped:
            report.skipped += 1
        except _Rejected as rejection:
            report.rejected.append(RejectedRow(line=line, reasons=tuple(rejection.reasons)))
        else:
            report.created += imported.customer_created
            report.skipped += not imported.customer_created
            report.extra_created += imported.extra_created
            report.extra_skipped += imported.extra_skipped
    return report


def _row_import(
    *,
    line: int,
    cells: list[str],
    source: CustomerFile,
    seen: _SeenInFile,
    as_of: dt.date,
    notify: bool,
    dry_run: bool,
    extra: RowColumns | None,
) -> _Imported:
    if len(cells) != len(source.header):
        raise _Rejected(
            [
                _("The row has %(found)d cells but the header has %(expected)d.")
                % {"found": len(cells), "expected": len(source.header)}
            ]
        )
    columns = COLUMNS + (extra.columns if extra else ())
    values = {name: value.strip() for name, value in zip(source.header, cells, strict=True) if name in columns}
    external_ref = values["external_ref"]
    if external_ref and (
        external_ref in seen.external_refs or Customer.objects.filter(external_ref=external_ref).exists()
    ):
        if extra is None:
            raise _Skipped()
        customer = _imported_customer(external_ref, seen)
        return _extra_import(line=line, values=values, customer=customer, extra=extra, dry_run=dry_run)

    form = CustomerDetailsForm(_form_data(values))
    form.is_valid()
    errors = _form_errors(form)
    errors.update(_own_errors(values=values, form=form, seen=seen))
    customer = _row_customer(external_ref=external_ref, form=form)
    checked = extra_skipped = None
    if extra is not None:
        try:
            checked = extra.check(values=values, customer=customer)
        except RowAlreadyImported:
            extra_skipped = True
        except RowRejected as rejection:
            for column, messages in rejection.errors.items():
                errors.setdefault(column, []).extend(messages)
    if errors:
        raise _Rejected(_reasons(errors, columns=columns))

    data = dataclasses.replace(form.to_onboarding_data(signed_date=as_of), external_ref=external_ref)
    if not dry_run:
        try:
            with transaction.atomic():
                account = customer_onboard(data=data, notify=notify)
                if checked is not None:
                    extra.save(account=account, checked=checked)
        except RowRejected as rejection:
            raise _Rejected(_reasons(rejection.errors, columns=columns)) from rejection
        except ExternalRefAlreadyUsed as error:
            raise _Skipped() from error
        except EmailAlreadyUsed as error:
            raise _Rejected(_reasons({"email": [str(error)]})) from error
        except ValidationError as error:
            raise _Rejected(error.messages) from error
        except IntegrityError as error:
            raise _Rejected([_("The row could not be saved: %(error)s") % {"error": error}]) from error
    seen.external_refs.add(external_ref)
    seen.customers[external_ref] = customer
    seen.emails[data.email] = line
    if data.mandate_reference:
        seen.mandate_references[data.mandate_reference] = line
    if checked is not None:
        extra.remember(line=line, checked=checked)
    return _Imported(customer_created=True, extra_created=checked is not None, extra_skipped=bool(extra_skipped))


def _row_customer(*, external_ref: str, form: CustomerDetailsForm) -> RowCustomer:
    """The new customer of a row as its form has read it (cells it refused are empty)."""
    cleaned = getattr(form, "cleaned_data", {})
    return RowCustomer(
        external_ref=external_ref,
        account=None,
        **{
            name: str(cleaned.get(name) or "")
            for name in ("customer_type", "street", "house_number", "address_extra", "postcode", "city", "country")
        },
    )


def _imported_customer(external_ref: str, seen: _SeenInFile) -> RowCustomer:
    """A customer imported already: from the database, else (dry run) from an earlier row."""
    account = (
        Account.objects.select_related("customer").filter(customer__external_ref=external_ref).order_by("id").first()
    )
    if account is None:
        return seen.customers[external_ref]
    return RowCustomer(
        external_ref=external_ref,
        customer_type=account.customer.customer_type,
        street=account.street,
        house_number=account.house_number,
        address_extra=account.address_extra,
        postcode=account.postcode,
        city=account.city,
        country=account.country,
        account=account,
    )


def _extra_import(
    *, line: int, values: dict[str, str], customer: RowCustomer, extra: RowColumns, dry_run: bool
) -> _Imported:
    """A row of a customer imported already: only its extra part."""
    try:
        checked = extra.check(values=values, customer=customer)
        if checked is None:
            return _Imported(customer_created=False)
        if not dry_run:
            if customer.account is None:
                raise RowRejected({"external_ref": [_("This customer has no account to add to.")]})
            extra.save(account=customer.account, checked=checked)
    except RowAlreadyImported:
        return _Imported(customer_created=False, extra_skipped=True)
    except RowRejected as rejection:
        raise _Rejected(_reasons(rejection.errors, columns=COLUMNS + extra.columns)) from rejection
    extra.remember(line=line, checked=checked)
    return _Imported(customer_created=False, extra_created=True)


def _form_data(values: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        FORM_FIELD_FOR_COLUMN.get(column, column): value
        for column, value in values.items()
        if column not in OWN_COLUMNS
    }
    data["country"] = data["country"].upper() or "DE"
    data["language"] = data["language"].lower() or "de"
    data["mandate_signed_date"] = _parse_date(values["mandate_signed_date"])
    # The utility holds the signed mandate of every customer it migrates.
    data["sepa_consent"] = True
    return data


def _form_errors(form: CustomerDetailsForm) -> dict[str, list[str]]:
    return {COLUMN_FOR_FORM_FIELD.get(name, name): list(messages) for name, messages in form.errors.items()}


def _own_errors(*, values: dict[str, str], form: CustomerDetailsForm, seen: _SeenInFile) -> dict[str, list[str]]:
    """Rules the wizard does not need: those on the import's own columns and
    on data that must be unique across the file and the database."""
    errors: dict[str, list[str]] = {}
    external_ref = values["external_ref"]
    if not external_ref:
        errors["external_ref"] = [_("Please enter the customer's reference in the previous system.")]
    elif len(external_ref) > EXTERNAL_REF_MAX_LENGTH:
        errors["external_ref"] = [
            _("An external reference has at most %(max)d characters.") % {"max": EXTERNAL_REF_MAX_LENGTH}
        ]
    if values["mandate_signed_date"]:
        signed_date = _parse_date(values["mandate_signed_date"])
        if signed_date is None:
            errors["mandate_signed_date"] = [_("Enter the date as YYYY-MM-DD or DD.MM.YYYY.")]
    email = values["email"].lower()
    if email in seen.emails:
        errors["email"] = [
            _("Line %(line)d of this file already uses this e-mail address.") % {"line": seen.emails[email]}
        ]
    # The raw value: the form drops a reference it refused from cleaned_data.
    reference = values.get("mandate_reference", "").strip()
    if reference and form.cleaned_data.get("payment_method") == PaymentMethod.SEPA:
        if reference in seen.mandate_references:
            errors["mandate_reference"] = [
                _("Line %(line)d of this file already uses this mandate reference.")
                % {"line": seen.mandate_references[reference]}
            ]
    return errors


def _reasons(errors: dict[str, list[str]], *, columns: tuple[str, ...] = COLUMNS) -> list[str]:
    """`column: message` for every message, in the order of the columns."""
    order = {name: index for index, name in enumerate(columns)}
    reasons = []
    for name in sorted(errors, key=lambda name: order.get(name, len(order))):
        for message in errors[name]:
            reasons.append(message if name == NON_FIELD else f"{name}: {message}")
    return reasons


def _parse_date(value: str) -> dt.date | None:
    if not value:
        return None
    for date_format in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, date_format).date()
        except ValueError:
            continue
    return None


def _decode(*, raw: bytes, path: Path, encoding: str | None) -> str:
    if encoding is None:
        encoding = default_encoding(raw)
    try:
        return raw.decode(encoding)
    except LookupError as error:
        raise ImportFileError(_("Unknown encoding: %(encoding)s.") % {"encoding": encoding}) from error
    except UnicodeDecodeError as error:
        raise ImportFileError(
            _(
                "%(path)s is not %(encoding)s text (unreadable byte at position %(position)d). "
                "Save it as “CSV UTF-8” or name its encoding with --encoding."
            )
            % {"path": path, "encoding": encoding, "position": error.start}
        ) from error


def _reader(source: CustomerFile) -> Any:
    return csv.reader(io.StringIO(source.text, newline=""), delimiter=source.delimiter)


def _rows(source: CustomerFile) -> Iterator[tuple[int, list[str]]]:
    """Data rows with the physical line each starts on (the header is line 1);
    blank rows are left out."""
    reader = _reader(source)
    next(reader)
    last_line = reader.line_num
    for cells in reader:
        line = last_line + 1
        last_line = reader.line_num
        if any(cell.strip() for cell in cells):
            yield line, cells
