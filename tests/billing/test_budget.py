"""Budget billing: the monthly instalment from last year's cost or the
expected consumption, the customer's own amount within limits, raising the
month's instalments once, the adjustment after a price change and the pages."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import BillingPreferences
from billing.models import BillingSettings, Instalment, Invoice, LedgerEntry
from billing.services.budget import (
    BudgetChangeRefused,
    budget_amount_change,
    instalment_amount,
    instalment_plans,
    instalments_raise,
)
from core.models import OutboxMessage
from supply.models import ServiceAgreement
from supply.services.tariffs import tariff_version_add
from tests.accounts.factories import AccountFactory, UserFactory, staff_user
from tests.meters.factories import at
from tests.supply.factories import supplied, tariff_make

pytestmark = pytest.mark.django_db

D = Decimal


def bill(account, *, start, end, gross, issued=dt.date(2027, 1, 5), kind=Invoice.Kind.SETTLEMENT, number="RE1"):
    """An issued bill with only what the instalment needs (the real bill run is tested elsewhere)."""
    return Invoice.objects.create(
        account=account,
        kind=kind,
        status=Invoice.Status.ISSUED,
        number=number,
        period_start=start,
        period_end=end,
        issue_date=issued,
        due_date=issued + dt.timedelta(days=14),
        net_total=gross,
        vat_total=D("0.00"),
        gross_total=gross,
        customer_name="Test",
        customer_address="Test",
    )


def preferences(account, **values):
    prefs, _created = BillingPreferences.objects.update_or_create(account=account, defaults=values)
    return prefs


@pytest.fixture
def agreement():
    # STROM-BASIS: 120.00 EUR a year + 0.30 EUR/kWh net, 19 % VAT; 3,650 kWh expected.
    return supplied(start_date=dt.date(2026, 1, 1), annual="3650")


@pytest.fixture
def account(agreement):
    return agreement.account


# --- The amount ----------------------------------------------------------------------------------


def test_without_a_bill_the_amount_is_the_expected_yearly_cost_over_twelve_in_whole_euros(account):
    # (120.00 + 3650 x 0.30 = 1215.00 net) + 230.85 VAT = 1445.85 / 12 = 120.4875 -> 120
    assert instalment_amount(account=account, as_of=dt.date(2026, 2, 1)) == D("120.00")


def test_with_a_bill_the_amount_is_its_gross_per_day_times_365_over_twelve(account):
    bill(account, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), gross=D("1460.00"))
    # 1460.00 / 365 days x 365 / 12 = 121.67 -> 122
    assert instalment_amount(account=account, as_of=dt.date(2027, 1, 10)) == D("122.00")


def test_a_short_bill_counts_per_day(account):
    bill(account, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31), gross=D("100.00"))
    # 100.00 / 31 x 365 / 12 = 98.12 -> 98
    assert instalment_amount(account=account, as_of=dt.date(2027, 1, 10)) == D("98.00")


def test_the_amount_rounds_half_up_to_whole_euros(account):
    bill(account, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), gross=D("438.00"))
    assert instalment_amount(account=account, as_of=dt.date(2027, 1, 10)) == D("37.00")  # 36.50 -> 37


def test_the_amount_rounds_down_below_the_half(account):
    bill(account, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), gross=D("437.94"))
    assert instalment_amount(account=account, as_of=dt.date(2027, 1, 10)) == D("36.00")  # 36.495 -> 36


def test_bills_issued_after_the_day_cancelled_bills_and_final_bills_do_not_count(account):
    bill(account, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), gross=D("4380.00"), issued=dt.date(2027, 2, 1))
    cancelled = bill(account, start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31), gross=D("438.00"), number="RE2")
    Invoice.objects.filter(pk=cancelled.pk).update(status=Invoice.Status.CANCELLED)
    bill(
        account,
        start=dt.date(2024, 1, 1),
        end=dt.date(2024, 12, 31),
        gross=D("438.00"),
        kind=Invoice.Kind.FINAL,
        number="RE3",
    )
    assert instalment_amount(account=account, as_of=dt.date(2027, 1, 10)) == D("120.00")


def test_a_price_change_after_the_bill_scales_last_years_cost_to_the_new_prices(account, agreement):
    bill(account, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), gross=D("1460.00"))
    tariff = agreement.tariff
    tariff.versions.create(valid_from=dt.date(2027, 3, 1), standing_charge_per_year=D("120.00"))
    tariff.versions.get(valid_from=dt.date(2027, 3, 1)).prices.create(obis="*", unit_price=D("0.360000"))
    # Expected year at the old prices 1445.85, at the new (120 + 3650 x 0.36 = 1434.00 net) 1706.46 gross:
    # 1460.00 x 1706.46 / 1445.85 / 12 = 143.60 -> 144
    assert instalment_amount(account=account, as_of=dt.date(2027, 2, 28)) == D("122.00")
    assert instalment_amount(account=account, as_of=dt.date(2027, 3, 1)) == D("144.00")


def test_a_supply_added_after_the_bill_adds_its_expected_cost(account):
    bill(account, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), gross=D("1460.00"))
    supplied(n=2, account=account, start_date=dt.date(2027, 1, 1), annual="3650")
    # 1460.00 (last year) + 1445.85 (the new supply's expected year) = 2905.85 / 12 = 242.15 -> 242
    assert instalment_amount(account=account, as_of=dt.date(2027, 1, 10)) == D("242.00")


def test_the_amount_is_at_least_one_euro_while_there_is_supply():
    tariff = tariff_make(code="STROM-MINI", standing_charge_per_year="0.00", unit_prices={"*": "0.000100"})
    agreement = supplied(start_date=dt.date(2026, 1, 1), annual="100")
    ServiceAgreement.objects.filter(pk=agreement.pk).update(tariff=tariff)
    assert instalment_amount(account=agreement.account, as_of=dt.date(2026, 2, 1)) == D("1.00")


def test_without_supply_there_is_no_instalment(account, agreement):
    ServiceAgreement.objects.filter(pk=agreement.pk).update(end_date=dt.date(2026, 5, 31))
    assert instalment_amount(account=account, as_of=dt.date(2026, 6, 1)) == D("0.00")
    assert instalment_amount(account=AccountFactory(), as_of=dt.date(2026, 6, 1)) == D("0.00")


def test_the_customers_own_amount_wins(account):
    preferences(account, budget_amount=D("75.00"))
    assert instalment_amount(account=account, as_of=dt.date(2026, 2, 1)) == D("75.00")


def test_without_budget_billing_there_is_no_instalment(account):
    preferences(account, budget_billing=False)
    assert instalment_amount(account=account, as_of=dt.date(2026, 2, 1)) == D("0.00")


# --- Changing the amount ---------------------------------------------------------------------------


AS_OF = dt.date(2026, 2, 1)  # computed: 120 EUR; customers may choose 84 (-30 %) to 240 (+100 %)


@pytest.mark.parametrize("amount", ["84", "84.00", "120", "240"])
def test_a_customer_sets_an_amount_within_the_limits(account, amount):
    budget_amount_change(account=account, amount=D(amount), by_staff=False, as_of=AS_OF)
    assert BillingPreferences.objects.get(account=account).budget_amount == D(amount)
    assert instalment_amount(account=account, as_of=AS_OF) == D(amount)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("83", "between 84.00 and 240.00 EUR"),
        ("241", "between 84.00 and 240.00 EUR"),
        ("0", "between 84.00 and 240.00 EUR"),
        ("100.50", "whole euros"),
        ("-1", "must not be negative"),
        ("NaN", "amount in euros"),
        ("Infinity", "amount in euros"),
        ("1E+9", "too large"),
    ],
)
def test_a_customer_cannot_leave_the_limits(account, amount, message):
    with pytest.raises(BudgetChangeRefused, match=message):
        budget_amount_change(account=account, amount=D(amount), by_staff=False, as_of=AS_OF)
    assert BillingPreferences.objects.filter(account=account, budget_amount__isnull=False).count() == 0


def test_an_amount_must_be_a_decimal(account):
    with pytest.raises(BudgetChangeRefused, match="amount in euros"):
        budget_amount_change(account=account, amount=120, by_staff=False, as_of=AS_OF)


def test_the_limits_follow_the_company_settings(account):
    settings = BillingSettings.current()
    settings.budget_lower_percent = D("10")
    settings.budget_upper_percent = D("10")
    settings.save()
    with pytest.raises(BudgetChangeRefused, match="between 108.00 and 132.00 EUR"):
        budget_amount_change(account=account, amount=D("107"), by_staff=False, as_of=AS_OF)
    budget_amount_change(account=account, amount=D("132"), by_staff=False, as_of=AS_OF)


def test_customers_cannot_change_the_amount_when_the_company_does_not_allow_it(account):
    settings = BillingSettings.current()
    settings.customer_may_change_budget = False
    settings.save()
    with pytest.raises(BudgetChangeRefused, match="contact us"):
        budget_amount_change(account=account, amount=D("120"), by_staff=False, as_of=AS_OF)
    budget_amount_change(account=account, amount=D("120"), by_staff=True, as_of=AS_OF)


@pytest.mark.parametrize("amount", ["0", "1", "5000"])
def test_staff_may_set_any_amount_of_zero_or_more(account, amount):
    budget_amount_change(account=account, amount=D(amount), by_staff=True, as_of=AS_OF)
    assert BillingPreferences.objects.get(account=account).budget_amount == D(amount)


def test_staff_cannot_set_a_negative_amount(account):
    with pytest.raises(BudgetChangeRefused, match="must not be negative"):
        budget_amount_change(account=account, amount=D("-5"), by_staff=True, as_of=AS_OF)


def test_the_amount_goes_back_to_the_computed_one(account):
    budget_amount_change(account=account, amount=D("200"), by_staff=False, as_of=AS_OF)
    budget_amount_change(account=account, amount=None, by_staff=False, as_of=AS_OF)
    assert BillingPreferences.objects.get(account=account).budget_amount is None
    assert instalment_amount(account=account, as_of=AS_OF) == D("120.00")


def test_no_amount_without_budget_billing(account):
    preferences(account, budget_billing=False)
    with pytest.raises(BudgetChangeRefused, match="switched off"):
        budget_amount_change(account=account, amount=D("120"), by_staff=True, as_of=AS_OF)


def test_a_customer_without_supply_cannot_choose_an_amount():
    with pytest.raises(BudgetChangeRefused, match="no supply"):
        budget_amount_change(account=AccountFactory(), amount=D("50"), by_staff=False, as_of=AS_OF)


def test_every_change_is_kept_in_the_history(account):
    budget_amount_change(account=account, amount=D("100"), by_staff=False, as_of=AS_OF)
    budget_amount_change(account=account, amount=D("110"), by_staff=False, as_of=AS_OF)
    amounts = [h.budget_amount for h in BillingPreferences.objects.get(account=account).history.order_by("history_id")]
    assert amounts[-2:] == [D("100.00"), D("110.00")]


# --- Raising the instalments ---------------------------------------------------------------------


def test_nothing_is_raised_before_the_instalment_day(account):
    assert instalments_raise(as_of=dt.date(2026, 2, 14)) == 0
    assert not Instalment.objects.exists()


def test_the_months_instalment_is_raised_on_its_day_as_a_ledger_debit(account):
    account.customer.language = "en"
    account.customer.save()
    assert instalments_raise(as_of=dt.date(2026, 2, 15)) == 1
    instalment = Instalment.objects.get()
    entry = instalment.ledger_entry
    assert (instalment.account, instalment.due_date, instalment.amount) == (account, dt.date(2026, 2, 15), D("120"))
    assert entry.kind == LedgerEntry.Kind.INSTALMENT
    assert entry.amount == D("120.00")
    assert entry.key == f"instalment:{account.pk}:2026-02-15"
    assert (entry.booked_on, entry.due_date) == (dt.date(2026, 2, 15), dt.date(2026, 2, 15))
    assert entry.text == "Instalment February 2026"  # in the customer's language


def test_raising_twice_or_later_in_the_month_raises_nothing_more(account):
    instalments_raise(as_of=dt.date(2026, 2, 15))
    assert instalments_raise(as_of=dt.date(2026, 2, 15)) == 0
    assert instalments_raise(as_of=dt.date(2026, 2, 20)) == 0
    assert Instalment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.INSTALMENT).count() == 1


def test_a_missed_day_is_caught_up_later_in_the_month(account):
    assert instalments_raise(as_of=dt.date(2026, 2, 27)) == 1
    assert Instalment.objects.get().due_date == dt.date(2026, 2, 15)


def test_a_ledger_entry_booked_by_an_interrupted_run_gets_its_instalment(account):
    LedgerEntry.objects.create(
        account=account,
        kind=LedgerEntry.Kind.INSTALMENT,
        amount=D("120.00"),
        booked_on=dt.date(2026, 2, 15),
        due_date=dt.date(2026, 2, 15),
        key=f"instalment:{account.pk}:2026-02-15",
        text="Abschlag",
    )
    assert instalments_raise(as_of=dt.date(2026, 2, 15)) == 1
    assert LedgerEntry.objects.count() == 1
    assert Instalment.objects.get().ledger_entry.key == f"instalment:{account.pk}:2026-02-15"


def test_who_gets_an_instalment(account):
    off = supplied(n=2, start_date=dt.date(2026, 1, 1)).account
    preferences(off, budget_billing=False)
    zero = supplied(n=3, start_date=dt.date(2026, 1, 1)).account
    preferences(zero, budget_amount=D("0"))
    later = supplied(n=4, start_date=dt.date(2026, 2, 16)).account
    ended = supplied(n=5, start_date=dt.date(2026, 1, 1))
    ServiceAgreement.objects.filter(pk=ended.pk).update(end_date=dt.date(2026, 2, 14))
    own = supplied(n=6, start_date=dt.date(2026, 1, 1)).account
    preferences(own, budget_amount=D("99"))
    billed = supplied(n=7, start_date=dt.date(2026, 1, 1)).account
    bill(billed, start=dt.date(2026, 1, 1), end=dt.date(2026, 2, 28), gross=D("100.00"), issued=dt.date(2026, 3, 1))

    assert instalments_raise(as_of=dt.date(2026, 2, 15)) == 2

    raised = dict(Instalment.objects.values_list("account_id", "amount"))
    assert raised == {account.pk: D("120.00"), own.pk: D("99.00")}
    assert later.pk not in raised


def test_the_instalment_day_comes_from_the_settings(account):
    settings = BillingSettings.current()
    settings.instalment_day = 1
    settings.save()
    assert instalments_raise(as_of=dt.date(2026, 3, 1)) == 1
    assert Instalment.objects.get().due_date == dt.date(2026, 3, 1)


def test_raising_many_accounts_takes_a_few_queries(django_assert_max_num_queries):
    tariff = tariff_make()
    for n in range(1, 31):
        supplied(n=n, start_date=dt.date(2026, 1, 1))
    assert tariff.agreements.count() == 30
    with django_assert_max_num_queries(20):
        assert instalments_raise(as_of=dt.date(2026, 2, 15)) == 30


def test_the_command_raises_for_a_date(account, capsys):
    call_command("raise_instalments", "--as-of", "2026-02-15")
    assert "1 instalments raised for 2026-02-15." in capsys.readouterr().out
    assert Instalment.objects.count() == 1


def test_the_command_refuses_a_bad_date():
    with pytest.raises(CommandError, match="15.02.2026 is not a date"):
        call_command("raise_instalments", "--as-of", "15.02.2026")


def test_the_beat_task_raises_today(account):
    from billing.tasks import raise_instalments

    with time_machine.travel(at(2026, 2, 15, 1), tick=False):
        assert raise_instalments.delay().get() == 1


# --- After a price change ------------------------------------------------------------------------------


def test_a_price_change_tells_customers_whose_computed_amount_changes(account, agreement):
    chosen = supplied(n=2, start_date=dt.date(2026, 1, 1)).account
    preferences(chosen, budget_amount=D("130"))
    account.customer.language = "en"
    account.customer.save()

    tariff_version_add(
        tariff=agreement.tariff,
        valid_from=dt.date(2026, 4, 1),
        standing_charge_per_year=D("120.00"),
        unit_prices={"*": D("0.36")},
        as_of=dt.date(2026, 2, 1),
    )

    changed = OutboxMessage.objects.filter(template="budget_amount_changed")
    assert [m.recipient_id for m in changed] == [account.customer_id]
    # (120 + 3650 x 0.36 = 1434.00) x 1.19 = 1706.46 / 12 = 142.205 -> 142
    message = changed.get()
    assert message.subject == "Your monthly instalment from 04/01/2026"
    assert "until now: 120.00 EUR" in message.body
    assert "Monthly instalment from 04/01/2026: 142.00 EUR" in message.body
    assert instalment_amount(account=account, as_of=dt.date(2026, 3, 31)) == D("120.00")
    assert instalment_amount(account=account, as_of=dt.date(2026, 4, 1)) == D("142.00")
    assert instalment_amount(account=chosen, as_of=dt.date(2026, 4, 1)) == D("130.00")


def test_a_price_change_that_leaves_the_amount_tells_nobody(account, agreement):
    tariff_version_add(
        tariff=agreement.tariff,
        valid_from=dt.date(2026, 4, 1),
        standing_charge_per_year=D("120.00"),
        unit_prices={"*": D("0.300010")},  # 1445.90 / 12 = 120.49 -> 120 still
        as_of=dt.date(2026, 2, 1),
    )
    assert not OutboxMessage.objects.filter(template="budget_amount_changed").exists()


# --- What the pages show --------------------------------------------------------------------------------


def test_the_plan_shows_the_range_and_the_next_twelve_instalments(account, agreement):
    ServiceAgreement.objects.filter(pk=agreement.pk).update(end_date=dt.date(2026, 9, 30))
    instalments_raise(as_of=dt.date(2026, 2, 15))
    (plan,) = instalment_plans(accounts=[account], as_of=dt.date(2026, 2, 15))
    assert (plan.amount, plan.computed, plan.basis) == (D("120.00"), D("120.00"), "expected")
    assert (plan.limits.lowest, plan.limits.highest) == (D("84.00"), D("240.00"))
    assert [i.due_date for i in plan.schedule] == [dt.date(2026, m, 15) for m in range(3, 10)]
    assert [i.due_date for i in plan.raised] == [dt.date(2026, 2, 15)]


AS_OF_PAGE = at(2026, 2, 10, 12)
PAGE = reverse("instalment:page")


@pytest.fixture
def customer_client(client, account):
    client.force_login(account.customer.user)
    client.cookies["portal_language"] = "en"
    with time_machine.travel(AS_OF_PAGE, tick=False):
        yield client


def test_the_customer_sees_amount_range_and_schedule(customer_client, account):
    page = customer_client.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "120.00 EUR" in html
    assert "84.00 to 240.00 EUR" in html
    assert "02/15/2026" in html  # the first instalment of the schedule


def test_the_customer_chooses_an_amount(customer_client, account):
    response = customer_client.post(
        reverse("instalment:change", args=[account.pk]), {f"a{account.pk}-amount": "150", "action": "save"}
    )
    assert response.status_code == 302
    assert BillingPreferences.objects.get(account=account).budget_amount == D("150")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "This field is required"),
        ("abc", "Enter a number"),
        ("10", "between 84.00 and 240.00 EUR"),
        ("120.5", "whole euros"),
        ("-3", "greater than or equal to 0"),
        ("1e400", "less than or equal to 99999999"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_saved(customer_client, account, value, message):
    response = customer_client.post(
        reverse("instalment:change", args=[account.pk]), {f"a{account.pk}-amount": value, "action": "save"}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not BillingPreferences.objects.filter(account=account, budget_amount__isnull=False).exists()


def test_the_customer_goes_back_to_the_computed_amount(customer_client, account):
    preferences(account, budget_amount=D("150"))
    response = customer_client.post(reverse("instalment:change", args=[account.pk]), {"action": "reset"})
    assert response.status_code == 302
    assert BillingPreferences.objects.get(account=account).budget_amount is None


def test_another_customers_account_is_not_found(customer_client):
    other = supplied(n=2, start_date=dt.date(2026, 1, 1)).account
    response = customer_client.post(
        reverse("instalment:change", args=[other.pk]), {f"a{other.pk}-amount": "100", "action": "save"}
    )
    assert response.status_code == 404
    assert not BillingPreferences.objects.filter(account=other, budget_amount__isnull=False).exists()


def test_the_page_needs_a_login(client):
    assert client.get(PAGE).status_code == 302


def test_the_page_shows_no_form_when_customers_may_not_change(customer_client):
    settings = BillingSettings.current()
    settings.customer_may_change_budget = False
    settings.save()
    html = customer_client.get(PAGE).content.decode()
    assert "Please contact us to change your monthly instalment." in html
    assert "Save my amount" not in html


@pytest.fixture
def agent_client(client):
    client.force_login(staff_user("agents@example.com"))
    client.cookies["portal_language"] = "en"
    with time_machine.travel(AS_OF_PAGE, tick=False):
        yield client


def test_the_agent_sees_the_instalment_on_the_customer_page(agent_client, account):
    response = agent_client.get(reverse("staff:customer", args=[account.customer_id]))
    html = response.content.decode()
    assert 'data-testid="staff-instalments"' in html
    assert "120.00 EUR" in html


def test_the_agent_sets_any_amount(agent_client, account):
    response = agent_client.post(
        reverse("instalment:staff_change", args=[account.pk]), {f"a{account.pk}-amount": "0", "action": "save"}
    )
    assert response.status_code == 302
    assert response.url.startswith(reverse("staff:customer", args=[account.customer_id]))
    assert BillingPreferences.objects.get(account=account).budget_amount == D("0")


def test_the_agent_gets_a_message_for_bad_input(agent_client, account):
    response = agent_client.post(
        reverse("instalment:staff_change", args=[account.pk]),
        {f"a{account.pk}-amount": "12.34", "action": "save"},
        follow=True,
    )
    assert "whole euros" in response.content.decode()
    assert not BillingPreferences.objects.filter(account=account, budget_amount__isnull=False).exists()


def test_staff_without_the_permission_and_customers_cannot_use_the_agents_form(client, account):
    user = UserFactory(email="clerk@example.com", is_staff=True)
    client.force_login(user)
    url = reverse("instalment:staff_change", args=[account.pk])
    assert client.post(url, {f"a{account.pk}-amount": "5"}).status_code == 403
    client.force_login(account.customer.user)
    assert client.post(url, {f"a{account.pk}-amount": "5"}).status_code == 403
    assert not BillingPreferences.objects.filter(account=account, budget_amount__isnull=False).exists()
