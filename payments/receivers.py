"""What payments does when a lower app tells it something."""

from accounts.models import SepaMandate


def on_mandate_replaced(sender, *, account, old: SepaMandate, new: SepaMandate, **kwargs) -> None:
    from payments.services.sepa import sepa_collections_move_to_mandate

    sepa_collections_move_to_mandate(old=old, new=new)


def connect() -> None:
    from accounts.signals import mandate_replaced

    mandate_replaced.connect(on_mandate_replaced, dispatch_uid="payments_mandate_replaced")
