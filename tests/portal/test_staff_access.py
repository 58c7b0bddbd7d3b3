"""Every back-office page is guarded by the one check (`core.staff.staff_required`):
anonymous visitors are sent to the login, customers get 403, staff without
two-factor are sent to set it up, and staff with the page's permissions get in."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.accounts.factories import AccountFactory, UserFactory, with_two_factor

ARGUMENT = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
SAMPLE = {"int": "999999", "slug": "x", "str": "x", "path": "x", None: "x"}


def _staff_urls(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, object]]:
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _staff_urls(entry, pattern)
        elif isinstance(entry, URLPattern) and pattern.startswith("staff/"):
            url = "/" + ARGUMENT.sub(lambda match: SAMPLE[match.group("converter")], pattern)
            found.append((url, entry.callback))
    return found


def _permissions_of(view) -> tuple[str, ...]:
    view_class = getattr(view, "view_class", None)
    guarded = view_class.dispatch if view_class is not None else view
    return guarded.staff_permissions


STAFF_URLS = _staff_urls()


def _user_with(*permissions: str, staff: bool = True, totp: bool = True):
    user = UserFactory(is_staff=staff)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    if totp:
        with_two_factor(user)
    return user


def test_the_back_office_has_pages_to_walk():
    assert len(STAFF_URLS) > 40


@pytest.mark.parametrize(("url", "view"), STAFF_URLS, ids=[url for url, _view in STAFF_URLS])
def test_every_back_office_page_uses_the_one_staff_check(url, view):
    assert isinstance(_permissions_of(view), tuple)


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "view"), STAFF_URLS, ids=[url for url, _view in STAFF_URLS])
def test_a_back_office_page_lets_in_only_staff_with_its_permissions(client, url, view):
    permissions = _permissions_of(view)

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login"))

    customer = AccountFactory().customer
    client.force_login(customer.user)
    assert client.get(url).status_code == 403

    client.force_login(_user_with(*permissions, totp=False))
    without_two_factor = client.get(url)
    assert without_two_factor.status_code == 302
    assert without_two_factor["Location"].startswith(settings.MFA_SETUP_URL)

    if permissions:
        client.force_login(_user_with(*permissions[:-1]))
        assert client.get(url).status_code == 403

    client.force_login(_user_with(*permissions))
    allowed = client.get(url)
    assert allowed.status_code in (200, 302, 404, 405), allowed.status_code
    if allowed.status_code == 302:
        assert not allowed["Location"].startswith((reverse("account_login"), settings.MFA_SETUP_URL))
