"""Importing tariffs and their price versions from a YAML or JSON file.

The file is a list of entries:

    - code: STROM-BASIS
      name: {de: "Strom Basis", en: "Electricity Basic"}
      utility: electricity          # electricity | gas | water | internet
      customer_type: household      # household | business
      is_offered: true              # optional
      minimum_term_months: 12       # optional
      notice_period_weeks: 4        # optional
      versions:
        - valid_from: 2026-01-01
          standing_charge_per_year: "120.00"   # internet: monthly_fee instead
          unit_prices: {"*": "0.3000"}         # by OBIS code; "*" = every register

The whole file is checked before anything is written, and written in one
transaction: a bad file changes nothing. A version identical to one already
stored is skipped, so a second run changes nothing; a version on a stored date
with other prices is an error (price versions are never changed). New versions
go through `tariff_version_add`, so the price-change notice rule applies.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import CustomerType
from meters.models import Utility
from supply.models import Tariff
from supply.services.tariffs import (
    TariffVersionRefused,
    VersionPrices,
    tariff_version_add,
    tariff_version_check,
    version_prices_check,
)

ENTRY_KEYS = {
    "code",
    "name",
    "utility",
    "customer_type",
    "versions",
    "is_offered",
    "minimum_term_months",
    "notice_period_weeks",
}
VERSION_KEYS = {"valid_from", "standing_charge_per_year", "monthly_fee", "unit_prices"}
LANGUAGES = ("de", "en")
CODE_MAX_LENGTH = Tariff._meta.get_field("code").max_length
NAME_MAX_LENGTH = Tariff._meta.get_field("name_de").max_length
# PositiveSmallIntegerField holds up to 32767; terms beyond these are typing errors.
MAX_TERM_MONTHS = 120
MAX_NOTICE_WEEKS = 104


class TariffFileError(ValueError):
    """The file cannot be imported; `problems` name the entry and field of each fault."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class _DecimalLoader(yaml.SafeLoader):
    """Reads YAML numbers with a fraction as Decimal, so no price passes through a float."""


def _yaml_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal | str:
    raw = loader.construct_scalar(node)
    try:
        return Decimal(raw.replace("_", ""))
    except InvalidOperation:
        return raw


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _yaml_decimal)


def tariff_file_read(*, path: Path) -> list[Any]:
    """The entries of a YAML or JSON file (by its extension, else by its content)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise TariffFileError([_("The file cannot be read: %(error)s") % {"error": error}]) from error
    suffix = path.suffix.lower()
    as_json = suffix == ".json" or (suffix not in (".yaml", ".yml") and text.lstrip()[:1] in ("[", "{"))
    try:
        data = json.loads(text, parse_float=Decimal) if as_json else yaml.load(text, Loader=_DecimalLoader)  # noqa: S506 - a SafeLoader
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise TariffFileError(
            [
                _("The file is not valid %(format)s: %(error)s")
                % {"format": "JSON" if as_json else "YAML", "error": error}
            ]
        ) from error
    if not isinstance(data, list):
        raise TariffFileError([_("The file must hold a list of tariffs.")])
    return data


@dataclass(frozen=True)
class _VersionPlan:
    valid_from: dt.date
    prices: VersionPrices


@dataclass
class _TariffPlan:
    label: str
    code: str
    attributes: dict[str, Any]
    tariff: Tariff | None
    new_versions: list[_VersionPlan] = field(default_factory=list)
    unchanged_versions: int = 0
    changes_attributes: bool = False


@dataclass(frozen=True)
class TariffImportResult:
    tariffs_created: int
    tariffs_updated: int
    versions_added: int
    versions_unchanged: int

    def summary(self) -> str:
        return _(
            "Tariffs created: %(created)d, updated: %(updated)d. "
            "Price versions added: %(added)d, unchanged: %(unchanged)d."
        ) % {
            "created": self.tariffs_created,
            "updated": self.tariffs_updated,
            "added": self.versions_added,
            "unchanged": self.versions_unchanged,
        }


class _Problem(Exception):
    def __init__(self, field_name: str, message: str) -> None:
        self.field_name = field_name
        self.message = message
        super().__init__(message)


def _entry_label(index: int, entry: Any) -> str:
    code = entry.get("code") if isinstance(entry, dict) else None
    if isinstance(code, str) and code.strip():
        return _("entry %(index)d (%(code)s)") % {"index": index, "code": code.strip()}
    return _("entry %(index)d") % {"index": index}


def _text(value: Any, field_name: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Problem(field_name, _("must be filled in."))
    if len(value.strip()) > max_length:
        raise _Problem(field_name, _("must have at most %(count)d characters.") % {"count": max_length})
    return value.strip()


def _choice(value: Any, field_name: str, choices: type) -> str:
    allowed = [choice.lower() for choice in choices.values]
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise _Problem(field_name, _("must be one of %(choices)s.") % {"choices": " | ".join(allowed)})
    return value.strip().upper()


def _whole_number(value: Any, field_name: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise _Problem(field_name, _("must be a whole number from 0 to %(max)d.") % {"max": maximum})
    return value


def _amount(value: Any, field_name: str) -> Decimal | None:
    """A price as written: a string or number; never through a float."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise _Problem(field_name, _('must be a number like "0.3000".'))
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            pass
    raise _Problem(field_name, _('must be a number like "0.3000".'))


def _date(value: Any, field_name: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _Problem(field_name, _("must be a date like 2026-01-01."))


def _attributes(entry: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(entry) - ENTRY_KEYS, key=str)
    if unknown:
        raise _Problem(str(unknown[0]), _("is not a field of a tariff."))
    attributes: dict[str, Any] = {"code": _text(entry.get("code"), "code", CODE_MAX_LENGTH)}
    if any(character.isspace() for character in attributes["code"]):
        raise _Problem("code", _("must not contain spaces."))
    names = entry.get("name")
    if not isinstance(names, dict):
        raise _Problem("name", _("must give the name in German and English: {de: …, en: …}."))
    for key in names:
        if key not in LANGUAGES:
            raise _Problem(f"name.{key}", _("only de and en are supported."))
    for language in LANGUAGES:
        attributes[f"name_{language}"] = _text(names.get(language), f"name.{language}", NAME_MAX_LENGTH)
    attributes["utility"] = _choice(entry.get("utility"), "utility", Utility)
    attributes["customer_type"] = _choice(entry.get("customer_type"), "customer_type", CustomerType)
    if "is_offered" in entry:
        if not isinstance(entry["is_offered"], bool):
            raise _Problem("is_offered", _("must be true or false."))
        attributes["is_offered"] = entry["is_offered"]
    if "minimum_term_months" in entry:
        attributes["minimum_term_months"] = _whole_number(
            entry["minimum_term_months"], "minimum_term_months", MAX_TERM_MONTHS
        )
    if "notice_period_weeks" in entry:
        attributes["notice_period_weeks"] = _whole_number(
            entry["notice_period_weeks"], "notice_period_weeks", MAX_NOTICE_WEEKS
        )
    return attributes


def _version(raw: Any, *, position: str) -> tuple[dt.date, dict[str, Any]]:
    if not isinstance(raw, dict):
        raise _Problem(position, _("must be a price version with valid_from and prices."))
    unknown = sorted(set(raw) - VERSION_KEYS, key=str)
    if unknown:
        raise _Problem(f"{position}, {unknown[0]}", _("is not a field of a price version."))
    valid_from = _date(raw.get("valid_from"), f"{position}, valid_from")
    unit_prices = raw.get("unit_prices") or {}
    if not isinstance(unit_prices, dict):
        raise _Problem(f"{position}, unit_prices", _('must map registers to prices: {"*": "0.3000"}.'))
    amounts = {
        "standing_charge_per_year": _amount(
            raw.get("standing_charge_per_year"), f"{position}, standing_charge_per_year"
        ),
        "monthly_fee": _amount(raw.get("monthly_fee"), f"{position}, monthly_fee"),
        "unit_prices": {
            str(obis): _amount(price, f"{position}, unit_prices.{obis}") for obis, price in unit_prices.items()
        },
    }
    if None in amounts["unit_prices"].values():
        raise _Problem(f"{position}, unit_prices", _("every register needs a price."))
    return valid_from, amounts


def _plan_entry(index: int, entry: Any, *, as_of: dt.date) -> _TariffPlan:
    if not isinstance(entry, dict):
        raise _Problem("", _("must be a tariff with code, name, utility, customer_type and versions."))
    attributes = _attributes(entry)
    tariff = Tariff.objects.filter(code=attributes["code"]).first()
    if tariff is not None:
        for key in ("utility", "customer_type"):
            if getattr(tariff, key) != attributes[key]:
                raise _Problem(
                    key,
                    _("the stored tariff has %(value)s; it cannot be changed.")
                    % {"value": getattr(tariff, key).lower()},
                )
    plan = _TariffPlan(label=_entry_label(index, entry), code=attributes["code"], attributes=attributes, tariff=tariff)
    plan.changes_attributes = tariff is not None and any(
        getattr(tariff, key) != value for key, value in attributes.items()
    )
    versions = entry.get("versions")
    if not isinstance(versions, list) or not versions:
        raise _Problem("versions", _("must list at least one price version."))
    stored = {version.valid_from: version for version in tariff.versions.prefetch_related("prices")} if tariff else {}
    seen: set[dt.date] = set()
    for position, raw in enumerate(versions, start=1):
        name = _("version %(number)d") % {"number": position}
        valid_from, amounts = _version(raw, position=name)
        if valid_from in seen:
            raise _Problem(f"{name}, valid_from", _("two versions in this entry start on the same day."))
        seen.add(valid_from)
        try:
            if valid_from in stored:
                prices = version_prices_check(utility=attributes["utility"], **amounts)
                if not prices.same_as(stored[valid_from]):
                    raise _Problem(
                        f"{name}, valid_from",
                        _("a price version from this day is stored with other prices; versions are never changed."),
                    )
                plan.unchanged_versions += 1
                continue
            if tariff is not None:
                prices = tariff_version_check(tariff=tariff, valid_from=valid_from, as_of=as_of, **amounts)
            else:
                prices = version_prices_check(utility=attributes["utility"], **amounts)
        except TariffVersionRefused as error:
            raise _Problem(f"{name}, {error.field}" if error.field else name, str(error)) from error
        plan.new_versions.append(_VersionPlan(valid_from=valid_from, prices=prices))
    plan.new_versions.sort(key=lambda version: version.valid_from)
    return plan


def _plans(entries: list[Any], *, as_of: dt.date) -> list[_TariffPlan]:
    plans: list[_TariffPlan] = []
    problems: list[str] = []
    codes: dict[str, int] = {}
    for index, entry in enumerate(entries, start=1):
        try:
            plan = _plan_entry(index, entry, as_of=as_of)
        except _Problem as problem:
            where = _entry_label(index, entry) + (f", {problem.field_name}" if problem.field_name else "")
            problems.append(f"{where}: {problem.message}")
            continue
        if plan.code in codes:
            problems.append(
                f"{plan.label}, code: "
                + _("the code is used by entry %(index)d already.") % {"index": codes[plan.code]}
            )
            continue
        codes[plan.code] = index
        plans.append(plan)
    if problems:
        raise TariffFileError(problems)
    return plans


def tariffs_import(*, entries: list[Any], as_of: dt.date) -> TariffImportResult:
    """Check every entry, then write all of them in one transaction."""
    if not entries:
        raise TariffFileError([_("The file holds no tariffs.")])
    plans = _plans(entries, as_of=as_of)
    created = updated = added = unchanged = 0
    with transaction.atomic():
        for plan in plans:
            tariff = plan.tariff
            if tariff is None:
                tariff = Tariff.objects.create(**plan.attributes)
                created += 1
            elif plan.changes_attributes:
                for key, value in plan.attributes.items():
                    setattr(tariff, key, value)
                tariff.save()
                updated += 1
            for version in plan.new_versions:
                try:
                    tariff_version_add(
                        tariff=tariff,
                        valid_from=version.valid_from,
                        standing_charge_per_year=version.prices.standing_charge_per_year,
                        monthly_fee=version.prices.monthly_fee,
                        unit_prices=version.prices.unit_prices,
                        as_of=as_of,
                    )
                except TariffVersionRefused as error:
                    raise TariffFileError([f"{plan.label}, valid_from {version.valid_from}: {error}"]) from error
                added += 1
            unchanged += plan.unchanged_versions
    return TariffImportResult(
        tariffs_created=created, tariffs_updated=updated, versions_added=added, versions_unchanged=unchanged
    )
