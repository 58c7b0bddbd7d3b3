"""Demo data for trying the portal: three logins and a handful of customers."""

import datetime as dt

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Customer
from accounts.services import OnboardingData, customer_onboard
from portal.roles import ensure_roles

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
