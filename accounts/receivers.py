from accounts.changes import email_change_confirm
from accounts.services import customer_link_user


def link_customer_on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    """A customer onboarded by an agent gets the login that verifies their address."""
    customer_link_user(user=email_address.user, email=email_address.email)


def change_email_on_confirmed(sender, request, email_address, **kwargs) -> None:
    """A customer confirmed a new address: it becomes login and billing address at once."""
    email_change_confirm(user=email_address.user, email=email_address.email)
