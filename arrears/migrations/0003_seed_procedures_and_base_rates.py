"""The default procedures (DESIGN.md "Dunning and payment plans") and the
base rate (Basiszinssatz, BGB §247) since 2002. Admins change both; a new
base rate is added every 1 January and 1 July."""

from decimal import Decimal

from django.db import migrations

BASE_RATES = [
    ("2002-01-01", "2.57"), ("2002-07-01", "2.47"), ("2003-01-01", "1.97"), ("2003-07-01", "1.22"),
    ("2004-01-01", "1.14"), ("2004-07-01", "1.13"), ("2005-01-01", "1.21"), ("2005-07-01", "1.17"),
    ("2006-01-01", "1.37"), ("2006-07-01", "1.95"), ("2007-01-01", "2.70"), ("2007-07-01", "3.19"),
    ("2008-01-01", "3.32"), ("2008-07-01", "3.19"), ("2009-01-01", "1.62"), ("2009-07-01", "0.12"),
    ("2011-07-01", "0.37"), ("2012-01-01", "0.12"), ("2013-01-01", "-0.13"), ("2013-07-01", "-0.38"),
    ("2014-01-01", "-0.63"), ("2014-07-01", "-0.73"), ("2015-01-01", "-0.83"), ("2016-07-01", "-0.88"),
    ("2023-01-01", "1.62"), ("2023-07-01", "3.12"), ("2024-01-01", "3.62"), ("2024-07-01", "3.37"),
    ("2025-01-01", "2.27"), ("2025-07-01", "1.27"), ("2026-01-01", "1.27"),
]

TEXTS = {
    1: (
        "Zahlungserinnerung",
        "Payment reminder",
        "sicher haben Sie es nur übersehen: Die folgenden Beträge sind noch offen.",
        "perhaps it slipped your mind: the following amounts are still open.",
    ),
    2: (
        "Mahnung",
        "Reminder",
        "leider haben wir Ihre Zahlung trotz unserer Erinnerung noch nicht erhalten.",
        "unfortunately we have not received your payment despite our reminder.",
    ),
    3: (
        "Letzte Mahnung",
        "Final reminder",
        "trotz zweier Erinnerungen ist der Betrag weiterhin offen. Bitte zahlen Sie jetzt, oder sprechen Sie mit uns über eine Ratenzahlung.",
        "despite two reminders the amount is still open. Please pay now, or talk to us about paying in instalments.",
    ),
    4: (
        "Übergabe an ein Inkassounternehmen",
        "Hand-over to a collection agency",
        "",
        "",
    ),
}


def _levels(Level, procedure, *, business: bool, threat: bool) -> None:
    for number, days in ((1, 7), (2, 21), (3, 35), (4, 63)):
        name_de, name_en, text_de, text_en = TEXTS[number]
        Level.objects.create(
            procedure=procedure,
            number=number,
            name_de=name_de,
            name_en=name_en,
            text_de=text_de,
            text_en=text_en,
            days_after_due=days,
            fee=Decimal("0.00") if business or number in (1, 4) else Decimal("1.50"),
            charges_flat_fee=business and number == 2,
            by_email=True,
            by_letter=number in (2, 3),
            charges_interest=business and number in (2, 3),
            disconnection_threat=threat and number == 3,
            agency_handover=number == 4,
        )


def seed(apps, schema_editor):
    Rate = apps.get_model("arrears", "BaseRate")
    Procedure = apps.get_model("arrears", "DunningProcedure")
    Level = apps.get_model("arrears", "DunningLevel")
    for day, rate in BASE_RATES:
        Rate.objects.get_or_create(valid_from=day, defaults={"rate": Decimal(rate)})
    if Procedure.objects.exists():
        return
    household = Procedure.objects.create(
        name="Haushalt / Household", customer_type="HOUSEHOLD", utility="", interest_points=Decimal("5.00")
    )
    _levels(Level, household, business=False, threat=True)
    water = Procedure.objects.create(
        name="Haushalt Wasser / Household water",
        customer_type="HOUSEHOLD",
        utility="WATER",
        interest_points=Decimal("5.00"),
        disconnection_weeks_after_threat=2,
        disconnection_notice_working_days=3,
    )
    _levels(Level, water, business=False, threat=True)
    internet = Procedure.objects.create(
        name="Haushalt Internet / Household internet",
        customer_type="HOUSEHOLD",
        utility="INTERNET",
        interest_points=Decimal("5.00"),
        disconnection_weeks_after_threat=2,
        disconnection_notice_working_days=3,
    )
    _levels(Level, internet, business=False, threat=True)
    business = Procedure.objects.create(
        name="Gewerbe / Business",
        customer_type="BUSINESS",
        utility="",
        interest_points=Decimal("9.00"),
        flat_fee=Decimal("40.00"),
    )
    _levels(Level, business, business=True, threat=False)


class Migration(migrations.Migration):
    dependencies = [("arrears", "0002_holds_from_billing")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
