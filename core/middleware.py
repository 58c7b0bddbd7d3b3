"""Request middleware of the kernel: language choice and staff two-factor."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation

SUPPORTED = {code for code, _name in settings.LANGUAGES}


class LanguageMiddleware:
    """German unless the person chose otherwise.

    Pages: the language cookie (set by the switcher), else the signed-in
    user's saved language, else German. The browser's Accept-Language is not
    used for pages, so a German utility's portal opens in German. The JSON
    API honours Accept-Language, as integrations expect.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = self._choose(request)
        request.LANGUAGE_CODE = language
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response

    def _choose(self, request: HttpRequest) -> str:
        if request.path.startswith("/api/"):
            return translation.get_language_from_request(request) or settings.LANGUAGE_CODE
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if cookie in SUPPORTED:
            return cookie
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            customer = getattr(user, "customer", None)
            if customer is not None and customer.language in SUPPORTED:
                return customer.language
        return settings.LANGUAGE_CODE


def user_must_use_mfa(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return user.groups.filter(name__in=settings.STAFF_GROUPS_REQUIRING_MFA).exists()


class StaffTwoFactorMiddleware:
    """Agents, supervisors and admins must turn on two-factor before working.

    Until they have a TOTP authenticator, /staff/ and /admin/ send them to
    the two-factor set-up page.
    """

    PROTECTED = ("/staff/", "/admin/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(self.PROTECTED) and user_must_use_mfa(request.user):
            from allauth.mfa.models import Authenticator

            has_totp = Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists()
            if not has_totp:
                return redirect(f"{settings.MFA_SETUP_URL}?next={request.path}")
        return self.get_response(request)
