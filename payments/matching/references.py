"""Pure matching rules of the bank statement import, over plain data.

References: an invoice or account number written anywhere in the remittance
text, with any spacing, hyphens, dots or case ("re 2026 000 001" finds
RE2026-000001), but not as part of a longer number ("100000012" does not
find account 10000001). Names: the debtor's name and the customer's name
have the same words, in any order and spelling of umlauts."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import TypeVar

from django.utils.translation import gettext_lazy as _

T = TypeVar("T")

UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "AE", "Ö": "OE", "Ü": "UE"})
# Words that say nothing about who paid: titles, "and", legal forms.
NAME_NOISE = frozenset(
    "herr frau und dr prof mr mrs ms and eheleute familie fam gmbh mbh ag kg ohg ug ev eg co kgaa se ltd inc".split()
)

# ISO 20022 return reasons (External Status Reason codes) in plain words, for customers and agents.
RETURN_REASONS = {
    "AC01": _("the IBAN is not correct"),
    "AC04": _("the bank account has been closed"),
    "AC06": _("the bank account is blocked"),
    "AC13": _("the debtor's account is a consumer account"),
    "AG01": _("the bank account does not allow direct debits"),
    "AG02": _("the bank could not process the direct debit"),
    "AM04": _("the account did not hold enough money"),
    "AM05": _("the direct debit was collected twice"),
    "BE05": _("the creditor is not known to the bank"),
    "FF01": _("the direct debit had a format error"),
    "MD01": _("there is no valid direct debit mandate"),
    "MD02": _("the mandate data is incomplete or wrong"),
    "MD06": _("the account holder asked the bank for a refund"),
    "MD07": _("the account holder has died"),
    "MS02": _("the account holder refused the direct debit"),
    "MS03": _("the bank gave no reason"),
    "RC01": _("the bank code (BIC) is not correct"),
    "RR01": _("the bank needs more details of the account holder"),
    "RR02": _("the bank needs the account holder's name and address"),
    "RR03": _("the bank needs the creditor's name and address"),
    "RR04": _("of a regulatory reason"),
    "SL01": _("of a service of the account holder's bank"),
    "NARR": _("the bank gave no reason"),
}


def return_reason_text(code: str):
    """The reason of a returned direct debit in plain words (lazy, in the active language)."""
    return RETURN_REASONS.get(code.upper(), RETURN_REASONS["MS03"])


def _normalized(text: str) -> tuple[str, set[int]]:
    """Upper-case letters and digits only, and the positions where something was dropped."""
    letters: list[str] = []
    breaks: set[int] = set()
    for char in unicodedata.normalize("NFKC", text).upper():
        if char.isascii() and char.isalnum():
            letters.append(char)
        else:
            breaks.add(len(letters))
    return "".join(letters), breaks


def reference_key(number: str) -> str:
    """A document or account number as the matcher compares it."""
    return _normalized(number)[0]


def _bounded(text: str, breaks: set[int], start: int, end: int) -> bool:
    """A match may not cut a run of digits: a number inside a longer number is no match."""
    if start > 0 and start not in breaks and text[start - 1].isdigit() and text[start].isdigit():
        return False
    if end < len(text) and end not in breaks and text[end - 1].isdigit() and text[end].isdigit():
        return False
    return True


def references_in(text: str, known: Mapping[str, T]) -> list[T]:
    """The values of `known` (keyed by reference_key) whose key is written in `text`, in order of appearance."""
    normalized, breaks = _normalized(text)
    lengths = sorted({len(key) for key in known if key}, reverse=True)
    found: list[tuple[int, T]] = []
    seen: set[str] = set()
    for length in lengths:
        for start in range(0, len(normalized) - length + 1):
            window = normalized[start : start + length]
            if window in known and window not in seen and _bounded(normalized, breaks, start, start + length):
                seen.add(window)
                found.append((start, known[window]))
    return [value for _start, value in sorted(found, key=lambda pair: pair[0])]


def name_words(name: str) -> set[str]:
    """The words of a name, lower-case, umlauts spelled out, accents and noise words dropped."""
    spelled = unicodedata.normalize("NFKD", name.translate(UMLAUTS))
    plain = "".join(char for char in spelled if not unicodedata.combining(char)).lower()
    return {word for word in re.split(r"[^a-z0-9]+", plain) if len(word) > 1 and word not in NAME_NOISE}


def names_match(debtor: str, customer: str) -> bool:
    """Whether a debtor name on a statement names the customer: every word of one is in the other."""
    left, right = name_words(debtor), name_words(customer)
    if not left or not right:
        return False
    return left <= right or right <= left


def single(values: Iterable[T]) -> T | None:
    """The one distinct value, or None when there are none or several."""
    distinct = list(dict.fromkeys(values))
    return distinct[0] if len(distinct) == 1 else None
