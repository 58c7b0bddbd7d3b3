"""Provider registry and admin settings: Stripe when keyed, else the sandbox;
an admin can switch a provider off; settings are checked by the provider."""

import pytest

from payments.admin import ProviderSettingsForm
from payments.models import ProviderSettings
from payments.providers import provider_active, provider_label

pytestmark = pytest.mark.django_db


def test_without_stripe_keys_the_sandbox_takes_online_payments(settings):
    settings.STRIPE_SECRET_KEY = ""

    provider = provider_active()

    assert (provider.identifier, provider.is_test_mode()) == ("sandbox", True)


def test_with_a_stripe_key_stripe_takes_online_payments_unless_switched_off(settings):
    settings.STRIPE_SECRET_KEY = "sk_live_x"
    assert provider_active().identifier == "stripe"

    ProviderSettings.objects.create(provider="stripe", enabled=False)

    assert provider_active().identifier == "sandbox"


def test_the_admins_display_name_is_shown_to_customers():
    ProviderSettings.objects.create(provider="sandbox", display_name="Testkasse")

    assert provider_label("sandbox") == "Testkasse"


def test_provider_settings_are_checked_by_the_providers_form():
    good = ProviderSettingsForm(
        data={
            "provider": "stripe",
            "enabled": "on",
            "display_name": "",
            "settings": '{"payment_method_types": "card, sepa_debit"}',
        }
    )
    unknown = ProviderSettingsForm(data={"provider": "stripe", "display_name": "", "settings": '{"colour": "red"}'})

    assert good.is_valid(), good.errors
    assert good.save().settings == {"payment_method_types": ["card", "sepa_debit"]}
    assert not unknown.is_valid()
    assert "Unknown settings: colour." in unknown.errors["settings"]
