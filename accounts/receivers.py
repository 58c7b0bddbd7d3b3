from accounts.services import customer_link_user


def link_customer_on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    """A customer onboarded by an agent gets the login that verifies their address."""
    customer_link_user(user=email_address.user, email=email_address.email)
