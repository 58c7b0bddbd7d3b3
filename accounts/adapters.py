"""allauth hooks: mails in the person's language, redirect after login."""

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation


class PortalAccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Account mails (verification, password reset) go out in the language
        of the customer with that address, else in the page's language."""
        from accounts.models import Customer

        customer = Customer.objects.filter(email=email.lower()).only("language").first()
        language = customer.language if customer else translation.get_language()
        with translation.override(language):
            super().send_mail(template_prefix, email, context)

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        user = request.user
        if user.is_staff and not hasattr(user, "customer"):
            return reverse("staff:search")
        return super().get_login_redirect_url(request)
