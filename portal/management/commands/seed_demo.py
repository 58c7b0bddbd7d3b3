"""Demo data for trying the portal: logins, a handful of customers, the
tariffs on offer, gas conversion factors and an active electricity supply for
the demo customer."""

import datetime as dt
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from accounts.models import BillingPreferences, Customer
from accounts.services import OnboardingData, customer_onboard
from arrears.services.dunning import dunning_run
from billing.models import Invoice
from billing.services.invoicing import bill_account
from core import clock
from meters.identifiers import market_location_check_digit
from meters.models import GasConversionFactor, Read, Register, Utility
from meters.services import PremiseData
from orders.models import Product
from orders.services import slots_open
from payments.services.payments import payment_external
from portal.roles import ensure_roles
from supply.models import ServiceAgreement, Tariff
from supply.services.agreements import SupplyRequest, supply_import
from supply.services.tariff_import import tariffs_import
from support.services.faq_seed import faq_seed
from support.services.seed import support_seed

DEMO_PASSWORD = "portal-demo"  # demo seed only

DEMO_CUSTOMERS = [
    # email, first, last, street, no, postcode, city, iban (valid test IBANs), language, business
    (
        "customer@example.com",
        "Max",
        "Mustermann",
        "Lindenstraße",
        "12",
        "10969",
        "Berlin",
        "DE89370400440532013000",
        "de",
        "",
    ),
    (
        "erika.schmidt@example.com",
        "Erika",
        "Schmidt",
        "Goethestraße",
        "5a",
        "80336",
        "München",
        "DE02120300000000202051",
        "de",
        "",
    ),
    ("jonas.weber@example.com", "Jonas", "Weber", "Am Markt", "3", "50667", "Köln", "", "en", ""),
    (
        "lena.fischer@example.com",
        "Lena",
        "Fischer",
        "Hafenstraße",
        "21",
        "20457",
        "Hamburg",
        "DE12500105170648489890",
        "de",
        "",
    ),
    (
        "info@baeckerei-mueller.example",
        "Hans",
        "Müller",
        "Bahnhofstraße",
        "8",
        "70173",
        "Stuttgart",
        "DE02100100100006820101",
        "de",
        "Bäckerei Müller GmbH",
    ),
    ("sophie.wagner@example.com", "Sophie", "Wagner", "Schillerplatz", "1", "01067", "Dresden", "", "de", ""),
]


PRICES_FROM = dt.date(2026, 1, 1)

# Net prices (before VAT) in the range of German offers for 2026.
DEMO_TARIFFS = [
    {
        "code": "STROM-BASIS",
        "name": {"de": "Strom Basis", "en": "Electricity Basic"},
        "utility": "electricity",
        "customer_type": "household",
        "versions": [{"valid_from": PRICES_FROM, "standing_charge_per_year": "138.00", "unit_prices": {"*": "0.2900"}}],
    },
    {
        "code": "STROM-OEKO",
        "name": {"de": "Ökostrom HT/NT", "en": "Green electricity peak/off-peak"},
        "utility": "electricity",
        "customer_type": "household",
        "minimum_term_months": 24,
        "versions": [
            {
                "valid_from": PRICES_FROM,
                "standing_charge_per_year": "150.00",
                # Single-register meters pay "*"; two-rate meters day (HT) and night (NT) prices.
                "unit_prices": {"*": "0.3000", "1-0:1.8.1": "0.3200", "1-0:1.8.2": "0.2400"},
            }
        ],
    },
    {
        "code": "STROM-GEWERBE",
        "name": {"de": "Strom Gewerbe", "en": "Electricity Business"},
        "utility": "electricity",
        "customer_type": "business",
        "notice_period_weeks": 12,
        "versions": [{"valid_from": PRICES_FROM, "standing_charge_per_year": "240.00", "unit_prices": {"*": "0.2600"}}],
    },
    {
        "code": "GAS-BASIS",
        "name": {"de": "Erdgas Basis", "en": "Natural Gas Basic"},
        "utility": "gas",
        "customer_type": "household",
        "versions": [{"valid_from": PRICES_FROM, "standing_charge_per_year": "156.00", "unit_prices": {"*": "0.0950"}}],
    },
    {
        "code": "WASSER",
        "name": {"de": "Trinkwasser", "en": "Drinking water"},
        "utility": "water",
        "customer_type": "household",
        "versions": [{"valid_from": PRICES_FROM, "standing_charge_per_year": "96.00", "unit_prices": {"*": "2.1500"}}],
    },
    {
        "code": "GLASFASER-100",
        "name": {"de": "Glasfaser 100", "en": "Fibre 100"},
        "utility": "internet",
        "customer_type": "household",
        "minimum_term_months": 24,
        "versions": [{"valid_from": PRICES_FROM, "monthly_fee": "33.60"}],
    },
]

# Gas network areas with their state number (Zustandszahl) and calorific value (Brennwert, kWh/m³).
DEMO_GAS_FACTORS = [
    ("Berlin", Decimal("0.9636"), Decimal("11.210")),
    ("München", Decimal("0.9512"), Decimal("11.380")),
    ("Köln", Decimal("0.9701"), Decimal("10.980")),
]

DEMO_MARKET_LOCATION = "5123456789" + str(market_location_check_digit("5123456789"))


class Command(BaseCommand):
    help = "Create demo logins (customer, agent, admin; password portal-demo) and demo customers. Idempotent."

    def handle(self, *args, **options) -> None:
        ensure_roles()
        with transaction.atomic():
            customer_user = self._user("customer@example.com")
            agent = self._user("agent@example.com", staff=True, group="Agents")
            supervisor = self._user("supervisor@example.com", staff=True, group="Supervisors")
            admin = self._user("admin@example.com", staff=True, superuser=True, group="Admins")
            for row in DEMO_CUSTOMERS:
                self._customer(row, user=customer_user if row[0] == "customer@example.com" else None)
            tariffs_import(entries=DEMO_TARIFFS, as_of=clock.today())
            for area, state_number, calorific_value in DEMO_GAS_FACTORS:
                GasConversionFactor.objects.get_or_create(
                    supply_point=None,
                    network_area=area,
                    valid_from=PRICES_FROM,
                    defaults={"state_number": state_number, "calorific_value": calorific_value},
                )
            self._electricity_supply(Customer.objects.get(email="customer@example.com"))
            self._bills(Customer.objects.get(email="customer@example.com"))
            # The demo customer's latest bills are unpaid: the first reminders go out as the daily run would send them.
            dunning_run(as_of=clock.today())
            support_seed()
            faq_seed()
            # Appointments for the catalogue's services (the catalogue itself is seeded by a migration).
            for product in Product.objects.filter(needs_appointment=True, active=True):
                slots_open(product=product, first_day=clock.today() + dt.timedelta(days=1), days=28)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins (password: portal-demo):"))
        for user, role in ((customer_user, "customer"), (agent, "agent"), (supervisor, "supervisor"), (admin, "admin")):
            self.stdout.write(f"  {role:<11} {user.email}")
        self.stdout.write("  Staff set up two-factor (TOTP) at their first sign-in.")

    def _user(self, email: str, *, staff: bool = False, superuser: bool = False, group: str | None = None):
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=email, defaults={"email": email, "is_staff": staff, "is_superuser": superuser}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user

    def _electricity_supply(self, customer: Customer) -> None:
        """The demo customer's home gets electricity under STROM-BASIS, active since the demo prices start."""
        if ServiceAgreement.objects.filter(supply_point__identifier=DEMO_MARKET_LOCATION).exists():
            return
        account = customer.accounts.order_by("id").first()
        supply_import(
            account=account,
            premise=PremiseData(
                street=account.street, house_number=account.house_number, postcode=account.postcode, city=account.city
            ),
            request=SupplyRequest(
                utility=Utility.ELECTRICITY,
                supply_point_id=DEMO_MARKET_LOCATION,
                tariff=Tariff.objects.get(code="STROM-BASIS"),
                start_date=PRICES_FROM,
                start_reason=ServiceAgreement.StartReason.SUPPLIER_SWITCH,
                meter_serial="1EMH0012345678",
                start_reads={"1-0:1.8.0": Decimal("14823.0")},
                expected_annual_consumption=Decimal("2500"),
            ),
            as_of=clock.today(),
        )

    def _bills(self, customer: Customer) -> None:
        """Monthly smart-meter reads and monthly bills for the demo customer
        since the supply started, the older ones paid by transfer."""
        account = customer.accounts.order_by("id").first()
        BillingPreferences.objects.update_or_create(
            account=account, defaults={"frequency": BillingPreferences.Frequency.MONTHLY, "budget_billing": False}
        )
        register = Register.objects.get(meter__serial="1EMH0012345678", obis="1-0:1.8.0")
        today = clock.today()
        month, value = PRICES_FROM, Decimal("14823.0")
        # A household's year: more in winter, less in summer (kWh per month).
        use = [Decimal(n) for n in (260, 240, 225, 195, 170, 150, 145, 150, 170, 205, 235, 255)]
        with override_settings(BILLING_DELIVER_ON_ISSUE=False):
            while True:
                next_month = (month + dt.timedelta(days=32)).replace(day=1)
                if next_month > today:
                    break
                value += use[month.month - 1]
                Read.objects.get_or_create(
                    register=register,
                    taken_at=clock.start_of_day(next_month),
                    source=Read.Source.SMART,
                    defaults={"value": value},
                )
                bill_account(account=account, as_of=next_month)
                month = next_month
        paid_until = today - dt.timedelta(days=45)
        paid = Invoice.objects.filter(account=account, status=Invoice.Status.ISSUED, issue_date__lte=paid_until)
        for invoice in paid.order_by("issue_date", "id"):
            payment_external(
                account=account,
                amount=invoice.amount_due,
                received_on=invoice.issue_date + dt.timedelta(days=10),
                reference=f"DEMO-{invoice.number}",
                method="TRANSFER",
                as_of=today,
                invoice=invoice,
                payer_name=customer.display_name,
            )

    def _customer(self, row: tuple, *, user) -> None:
        email, first, last, street, number, postcode, city, iban, language, company = row
        if Customer.objects.filter(email=email).exists():
            return
        from accounts.validation import check_iban

        bank = check_iban(iban) if iban else None
        customer_onboard(
            data=OnboardingData(
                customer_type="BUSINESS" if company else "HOUSEHOLD",
                first_name=first,
                last_name=last,
                company_name=company,
                vat_id="DE123456789" if company else "",
                language=language,
                street=street,
                house_number=number,
                address_extra="",
                postcode=postcode,
                city=city,
                country="DE",
                email=email,
                phone="+4930" + str(1000000 + len(email) * 7919)[:7],
                payment_method="SEPA" if bank else "TRANSFER",
                account_holder=f"{first} {last}" if bank else "",
                iban=bank.iban if bank else "",
                bic=bank.bic if bank else "",
                bank_name=bank.bank_name if bank else "",
                mandate_reference=f"DEMO-{email.split('@')[0][:20].upper()}" if bank else "",
                mandate_signed_date=dt.date(2026, 1, 2),
            ),
            user=user,
        )
