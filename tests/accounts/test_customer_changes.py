"""Customer changes through the accounts service: audit entries with old and
new values and the requester, four-eyes for business names and account
holders, representatives within their scope, the e-mail change that keeps
login and billing address one, and the bank change with a new mandate."""

import datetime as dt

import pytest
import time_machine
from allauth.account.models import EmailAddress

from accounts.changes import (
    ChangeRefused,
    FourEyesRefused,
    Requested,
    bank_account_change,
    customer_change,
    email_change_confirm,
    email_change_request,
    pending_change_decide,
    representative_add,
    representative_may,
)
from accounts.models import (
    ChangeChannel,
    CustomerChange,
    CustomerType,
    PaymentMethod,
    PendingChange,
    Representative,
    Requester,
    SepaMandate,
)
from core.models import OutboxMessage
from tests.accounts.factories import (
    VALID_IBAN,
    AccountFactory,
    CustomerFactory,
    SepaMandateFactory,
    staff_user,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 3, 10, 9, 0, tzinfo=dt.UTC)
OTHER_IBAN = "DE02120300000000202051"  # Deutsche Kreditbank test IBAN


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def announced(monkeypatch):
    calls = []
    monkeypatch.setattr("accounts.changes.change_announce", lambda **kwargs: calls.append(kwargs))
    return calls


def agent_for(account, *, channel=ChangeChannel.PHONE, representative=None, email="agent@example.com"):
    return Requested(
        by=staff_user(email=email),
        requested_by=Requester.REPRESENTATIVE if representative else Requester.CUSTOMER,
        channel=channel,
        representative=representative,
    )


def test_an_address_change_is_saved_with_one_audit_entry_per_field_and_the_requester(announced):
    account = AccountFactory(street="Lindenstraße", postcode="10969")
    requested = agent_for(account, channel=ChangeChannel.LETTER)

    result = customer_change(
        customer=account.customer,
        account=account,
        changes={"street": "Hauptstraße", "postcode": "10115", "city": "Berlin"},
        requested=requested,
    )

    account.refresh_from_db()
    assert (account.street, account.postcode) == ("Hauptstraße", "10115")
    entries = {e.field: e for e in CustomerChange.objects.filter(customer=account.customer)}
    assert set(entries) == {"street", "postcode"}  # the city did not change
    assert (entries["street"].old, entries["street"].new) == ("Lindenstraße", "Hauptstraße")
    assert entries["street"].by == requested.by
    assert entries["street"].requested_by == Requester.CUSTOMER
    assert entries["street"].channel == ChangeChannel.LETTER
    assert entries["street"].account == account
    assert len(result.entries) == 2
    assert [call["kind"] for call in announced] == ["address"]
    assert announced[0]["account_number"] == account.number
    assert announced[0]["summary"]["fields"]["postcode"] == {"old": "10969", "new": "10115"}


def test_a_household_last_name_change_takes_effect_at_once(announced):
    account = AccountFactory(customer=CustomerFactory(first_name="Erika", last_name="Muster"))
    customer_change(
        customer=account.customer,
        account=account,
        changes={"last_name": "Beispiel"},
        requested=Requested.customer(account.customer.user),
    )
    account.customer.refresh_from_db()
    assert account.customer.last_name == "Beispiel"
    assert not PendingChange.objects.exists()
    assert announced[0]["kind"] == "name"


def test_a_business_name_change_waits_for_a_second_person_and_the_requester_cannot_approve(announced):
    customer = CustomerFactory(customer_type=CustomerType.BUSINESS, company_name="Alt GmbH", vat_id="DE123456789")
    account = AccountFactory(customer=customer)
    requested = agent_for(account)

    result = customer_change(
        customer=customer,
        account=account,
        changes={"company_name": "Neu GmbH", "phone": "+4930999999"},
        requested=requested,
    )

    customer.refresh_from_db()
    assert customer.company_name == "Alt GmbH"
    assert str(customer.phone) == "+4930999999"  # the rest takes effect
    pending = result.pending[0]
    assert pending.kind == PendingChange.Kind.BUSINESS_NAME
    with pytest.raises(FourEyesRefused):
        pending_change_decide(pending=pending, user=requested.by, approve=True)
    customer.refresh_from_db()
    assert customer.company_name == "Alt GmbH"

    second = staff_user(email="supervisor@example.com", group="Supervisors")
    pending_change_decide(pending=pending, user=second, approve=True)

    customer.refresh_from_db()
    assert customer.company_name == "Neu GmbH"
    entry = CustomerChange.objects.get(field="company_name")
    assert (entry.old, entry.new, entry.by, entry.approved_by) == ("Alt GmbH", "Neu GmbH", requested.by, second)
    with pytest.raises(ChangeRefused):
        pending_change_decide(pending=pending, user=second, approve=False)


def test_a_change_of_account_holder_waits_and_a_rejection_changes_nothing():
    account = AccountFactory(customer=CustomerFactory(first_name="Erika", last_name="Muster"))
    requested = agent_for(account)
    result = customer_change(
        customer=account.customer,
        account=account,
        changes={"first_name": "Hans", "last_name": "Neumann"},
        requested=requested,
    )
    assert result.pending[0].kind == PendingChange.Kind.HOLDER
    assert not CustomerChange.objects.exists()

    pending_change_decide(pending=result.pending[0], user=staff_user(email="second@example.com"), approve=False)

    account.customer.refresh_from_db()
    assert (account.customer.first_name, account.customer.last_name) == ("Erika", "Muster")
    assert not CustomerChange.objects.exists()


def test_representative_may_checks_scope_and_validity():
    representative = Representative(
        name="Carla Pflege", kind="CARER", scopes=["SEE", "CHANGE_CONTACT"], valid_until=dt.date(2027, 3, 31)
    )
    assert representative_may(representative, "CHANGE_CONTACT", on=dt.date(2027, 3, 31))
    assert not representative_may(representative, "CHANGE_CONTACT", on=dt.date(2027, 4, 1))
    assert not representative_may(representative, "END_SUPPLY", on=dt.date(2027, 3, 1))


def test_a_representative_changes_contact_data_within_the_scope_and_is_named_in_the_audit():
    account = AccountFactory()
    carer = representative_add(
        account=account, name="Carla Pflege", kind="CARER", scopes=["CHANGE_CONTACT"], valid_until=None, user=None
    )
    customer_change(
        customer=account.customer,
        account=account,
        changes={"phone": "+4930555555"},
        requested=agent_for(account, representative=carer),
    )
    entry = CustomerChange.objects.get()
    assert entry.requested_by == Requester.REPRESENTATIVE
    assert entry.representative == carer


@pytest.mark.parametrize(
    ("scopes", "valid_until", "changes"),
    [
        (["SEE"], None, {"phone": "+4930555555"}),  # scope does not cover contact data
        (["CHANGE_CONTACT"], dt.date(2027, 3, 9), {"phone": "+4930555555"}),  # expired yesterday
        (["CHANGE_CONTACT", "END_SUPPLY"], None, {"last_name": "Anders"}),  # a name is never theirs
    ],
)
def test_a_change_beyond_the_representatives_scope_is_refused_and_nothing_is_saved(scopes, valid_until, changes):
    account = AccountFactory(customer=CustomerFactory(last_name="Muster", phone="+4930123456"))
    representative = Representative.objects.create(
        account=account, name="Paul Vollmacht", kind="POWER_OF_ATTORNEY", scopes=scopes, valid_until=valid_until
    )
    with pytest.raises(ChangeRefused) as refused:
        customer_change(
            customer=account.customer,
            account=account,
            changes=changes,
            requested=agent_for(account, representative=representative),
        )
    assert "Paul Vollmacht" in str(refused.value)
    account.customer.refresh_from_db()
    assert (account.customer.last_name, str(account.customer.phone)) == ("Muster", "+4930123456")
    assert not CustomerChange.objects.exists()


def test_a_representative_of_another_account_is_refused():
    account, other = AccountFactory(), AccountFactory()
    stranger = Representative.objects.create(account=other, name="X", kind="CARER", scopes=["CHANGE_CONTACT"])
    with pytest.raises(ChangeRefused):
        customer_change(
            customer=account.customer,
            account=account,
            changes={"city": "Köln"},
            requested=agent_for(account, representative=stranger),
        )


# --- E-mail -------------------------------------------------------------------------


def test_an_email_change_changes_nothing_before_confirmation_then_login_and_billing_together(announced, rf):
    account = AccountFactory(customer=CustomerFactory(email="old@example.com"))
    customer = account.customer
    user = customer.user

    email_change_request(
        customer=customer, email="New@Example.com", requested=Requested.customer(user), request=rf.get("/")
    )

    customer.refresh_from_db()
    user.refresh_from_db()
    assert customer.email == "old@example.com"
    assert user.email == "old@example.com"
    assert not CustomerChange.objects.exists()
    new_address = EmailAddress.objects.get(user=user, email="new@example.com")
    assert not new_address.verified

    new_address.verified = True
    new_address.save()
    email_change_confirm(user=user, email="new@example.com")

    customer.refresh_from_db()
    user.refresh_from_db()
    assert customer.email == user.email == "new@example.com"
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "primary")) == [("new@example.com", True)]
    entry = CustomerChange.objects.get()
    assert (entry.field, entry.old, entry.new) == ("email", "old@example.com", "new@example.com")
    notice = OutboxMessage.objects.get(template="email_changed")
    assert notice.to_address == "old@example.com"
    assert announced[0]["kind"] == "contact"


def test_the_confirmation_link_goes_to_the_new_address(mailoutbox, django_capture_on_commit_callbacks, rf):
    account = AccountFactory(customer=CustomerFactory(email="old@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        email_change_request(
            customer=account.customer,
            email="new@example.com",
            requested=Requested.customer(account.customer.user),
            request=rf.get("/"),
        )
    assert [m.to for m in mailoutbox] == [["new@example.com"]]


def test_an_email_used_by_another_customer_is_refused(rf):
    CustomerFactory(email="taken@example.com")
    customer = CustomerFactory(email="me@example.com")
    with pytest.raises(Exception) as refused:
        email_change_request(
            customer=customer,
            email="taken@example.com",
            requested=Requested.customer(customer.user),
            request=rf.get("/"),
        )
    assert "already exists" in str(refused.value)
    assert not PendingChange.objects.exists()


# --- Bank ---------------------------------------------------------------------------


def test_a_bank_change_creates_a_new_mandate_revokes_the_old_and_tells_the_email_on_file(announced):
    old = SepaMandateFactory(account_holder="Erika Muster")
    account = old.account
    requested = Requested.customer(account.customer.user)

    change = bank_account_change(
        account=account, iban=OTHER_IBAN, account_holder="Erika Muster", consent=True, requested=requested
    )

    old.refresh_from_db()
    assert old.status == SepaMandate.Status.REVOKED
    assert old.revoked_on == dt.date(2027, 3, 10)
    new = change.mandate
    assert new.is_active and new.iban == OTHER_IBAN and new.reference != old.reference
    assert new.creditor_id and new.signed_date == dt.date(2027, 3, 10)
    entry = CustomerChange.objects.get(field="bank_account")
    assert old.reference in entry.old and new.reference in entry.new
    assert OTHER_IBAN not in entry.new  # masked
    notice = OutboxMessage.objects.get(template="bank_details_changed")
    assert notice.to_address == account.customer.email
    assert [call["kind"] for call in announced] == ["bank"]


def test_a_bank_change_switches_a_transfer_account_to_direct_debit():
    account = AccountFactory(payment_method=PaymentMethod.TRANSFER)
    bank_account_change(
        account=account, iban=VALID_IBAN, account_holder="X Y", consent=True, requested=Requested.customer(None)
    )
    account.refresh_from_db()
    assert account.payment_method == PaymentMethod.SEPA
    assert CustomerChange.objects.filter(field="payment_method").exists()


@pytest.mark.parametrize(
    ("iban", "holder", "consent", "field"),
    [
        (OTHER_IBAN, "Erika", False, "consent"),
        ("DE00123456780000000000", "Erika", True, "iban"),
        (OTHER_IBAN, " ", True, "account_holder"),
    ],
)
def test_a_bank_change_without_consent_or_with_bad_details_saves_nothing(iban, holder, consent, field):
    old = SepaMandateFactory()
    with pytest.raises(ChangeRefused) as refused:
        bank_account_change(
            account=old.account, iban=iban, account_holder=holder, consent=consent, requested=Requested.customer(None)
        )
    assert field in refused.value.messages
    old.refresh_from_db()
    assert old.is_active
    assert SepaMandate.objects.count() == 1
    assert not CustomerChange.objects.exists()


def test_a_representative_can_never_change_the_bank_account():
    old = SepaMandateFactory()
    representative = Representative.objects.create(
        account=old.account, name="Paul", kind="POWER_OF_ATTORNEY", scopes=["SEE", "CHANGE_CONTACT", "END_SUPPLY"]
    )
    with pytest.raises(ChangeRefused):
        bank_account_change(
            account=old.account,
            iban=OTHER_IBAN,
            account_holder="Paul",
            consent=True,
            requested=agent_for(old.account, representative=representative),
        )
    assert SepaMandate.objects.get().is_active
