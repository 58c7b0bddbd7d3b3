"""Field rules shared by the wizard, the staff screens, the API and CSV import."""

import re
from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty import exceptions as iban_errors

GERMAN_POSTCODE = re.compile(r"^\d{5}$")
# EU VAT ids: country prefix + 2..12 characters; Germany: DE + 9 digits.
VAT_ID_PATTERNS = {
    "DE": re.compile(r"^DE\d{9}$"),
    "AT": re.compile(r"^ATU\d{8}$"),
    "NL": re.compile(r"^NL\d{9}B\d{2}$"),
    "FR": re.compile(r"^FR[0-9A-HJ-NP-Z]{2}\d{9}$"),
}
GENERIC_VAT_ID = re.compile(
    r"^(AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)[0-9A-Z+*]{2,12}$"
)
MANDATE_REFERENCE = re.compile(r"^[A-Za-z0-9+?/\-:().,' ]{1,35}$")


def normalise_postcode(*, postcode: str, country: str) -> str:
    value = (postcode or "").strip()
    if country == "DE" and not GERMAN_POSTCODE.match(value):
        raise ValidationError(_("A German postcode has exactly 5 digits."), code="postcode")
    if not value or len(value) > 10:
        raise ValidationError(_("Enter a valid postcode."), code="postcode")
    return value


def normalise_vat_id(value: str) -> str:
    vat_id = re.sub(r"[\s.\-]", "", value or "").upper()
    prefix = vat_id[:2]
    pattern = VAT_ID_PATTERNS.get(prefix)
    if (pattern and not pattern.match(vat_id)) or not GENERIC_VAT_ID.match(vat_id):
        raise ValidationError(
            _("Enter a VAT id like DE123456789 (country code followed by the number)."), code="vat_id"
        )
    return vat_id


def normalise_phone(value: str) -> str:
    """The number in E.164 (+4930…); German numbers may be typed without +49."""
    raw = (value or "").strip()
    try:
        number = phonenumbers.parse(raw, "DE")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("This is not a phone number we can read. Example: 030 1234567."), code="phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("This phone number is not valid. Example: 030 1234567."), code="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True)
class BankAccount:
    iban: str
    bic: str
    bank_name: str

    @property
    def formatted_iban(self) -> str:
        return " ".join(self.iban[i : i + 4] for i in range(0, len(self.iban), 4))


def check_iban(value: str) -> BankAccount:
    """Validate an IBAN (checksum, length, national rules, known bank)."""
    try:
        iban = IBAN(value or "", validate_bban=True)
    except iban_errors.InvalidChecksumDigits as exc:
        raise ValidationError(_("This IBAN has a typo: its check digits do not match."), code="iban") from exc
    except iban_errors.InvalidLength as exc:
        raise ValidationError(_("This IBAN has the wrong number of characters."), code="iban") from exc
    except iban_errors.InvalidCountryCode as exc:
        raise ValidationError(_("This IBAN does not start with a known country code."), code="iban") from exc
    except (iban_errors.InvalidBankCode, iban_errors.InvalidBranchCode) as exc:
        raise ValidationError(_("No bank is known for this IBAN. Please check the bank code."), code="iban") from exc
    except iban_errors.SchwiftyException as exc:
        raise ValidationError(_("This is not a valid IBAN."), code="iban") from exc
    bank_name = ""
    bic = ""
    try:
        bic = str(iban.bic) if iban.bic else ""
        bank_name = iban.bank_name or ""
    except iban_errors.SchwiftyException:
        pass
    if iban.country_code == "DE" and not bic:
        raise ValidationError(_("No bank is known for this IBAN. Please check the bank code."), code="iban")
    return BankAccount(iban=str(iban.compact), bic=bic, bank_name=bank_name)


def check_mandate_reference(value: str) -> str:
    reference = (value or "").strip()
    if not MANDATE_REFERENCE.match(reference):
        raise ValidationError(
            _("A mandate reference has at most 35 letters, digits or the characters +?/-:().,'"),
            code="mandate_reference",
        )
    return reference
