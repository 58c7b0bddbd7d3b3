"""What the data migrations seed is still there after a flush (a browser
test's teardown), so the bill run finds its VAT rates and dunning its
procedures whichever test ran before on the worker."""

import pytest
from django.core.management import call_command

from arrears.models import BaseRate, DunningProcedure
from supply.models import VatRate


@pytest.mark.django_db(transaction=True)
def test_a_flush_keeps_the_seeded_defaults():
    call_command("flush", interactive=False, verbosity=0)

    assert VatRate.objects.filter(utility="ELECTRICITY").count() == 3
    assert DunningProcedure.objects.count() == 4
    assert BaseRate.objects.exists()
