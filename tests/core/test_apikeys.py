from io import StringIO

import pytest
from django.core.management import CommandError, call_command, load_command_class

from core.apikeys import KNOWN_SCOPES, UnknownScope, api_key_authenticate, api_key_create, api_key_revoke
from core.models import ApiKey

pytestmark = pytest.mark.django_db


def create_api_key(*args: str) -> list[str]:
    out = StringIO()
    call_command("create_api_key", *args, stdout=out)
    return out.getvalue().splitlines()


# --- The kernel functions -------------------------------------------------------------


def test_a_new_key_is_stored_only_as_a_hash():
    key, plain = api_key_create(name="Head-end", scopes=["reads:write", "accounts:read"])

    assert plain.startswith(f"up_{key.prefix}_")
    assert plain not in key.hashed_key
    assert len(key.hashed_key) == 64
    assert key.scopes == ["accounts:read", "reads:write"]


def test_the_plain_key_authenticates_and_records_its_use():
    key, plain = api_key_create(name="Head-end", scopes=["reads:write"])

    found = api_key_authenticate(plain)

    assert found == key
    key.refresh_from_db()
    assert key.last_used_at is not None


@pytest.mark.parametrize("mangle", [lambda p: p[:-1] + ("A" if p[-1] != "A" else "B"), lambda p: "x" + p, lambda p: ""])
def test_a_wrong_or_malformed_key_does_not_authenticate(mangle):
    _key, plain = api_key_create(name="Head-end", scopes=["reads:write"])

    assert api_key_authenticate(mangle(plain)) is None


def test_a_revoked_key_does_not_authenticate():
    key, plain = api_key_create(name="Head-end", scopes=["reads:write"])

    api_key_revoke(key=key)

    assert api_key_authenticate(plain) is None
    key.refresh_from_db()
    assert not key.is_active
    assert not key.has_scope("reads:write")


def test_an_unknown_scope_is_refused():
    with pytest.raises(UnknownScope):
        api_key_create(name="Head-end", scopes=["everything"])

    assert not ApiKey.objects.exists()


# --- manage.py create_api_key ------------------------------------------------------------


def test_the_command_prints_the_key_alone_on_the_first_line_then_a_hint():
    lines = create_api_key("Accounting", "--scopes", "accounts:read,customers:write")

    key = api_key_authenticate(lines[0])
    assert key is not None
    assert key.name == "Accounting"
    assert key.scopes == ["accounts:read", "customers:write"]
    assert lines[0] == lines[0].strip() and " " not in lines[0]
    assert key.prefix in lines[1]
    assert len(lines) == 2


def test_the_command_stores_only_the_hash():
    lines = create_api_key("Accounting", "--scopes", "accounts:read")

    assert not ApiKey.objects.filter(hashed_key=lines[0]).exists()
    assert ApiKey.objects.get().hashed_key != lines[0]


def test_an_unknown_scope_is_a_command_error_listing_the_known_scopes():
    with pytest.raises(CommandError) as error:
        create_api_key("Accounting", "--scopes", "accounts:read,accounts:write")

    for scope in KNOWN_SCOPES:
        assert scope in str(error.value)
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("args", [("Accounting",), ("Accounting", "--scopes", " , "), ("--scopes", "accounts:read")])
def test_a_name_and_scopes_are_required(args):
    with pytest.raises(CommandError):
        create_api_key(*args)

    assert not ApiKey.objects.exists()


def test_the_command_revokes_a_key_by_its_prefix():
    key, plain = api_key_create(name="Old head-end", scopes=["reads:write"])

    lines = create_api_key("--revoke", key.prefix)

    assert api_key_authenticate(plain) is None
    assert key.prefix in lines[0]


def test_revoking_twice_changes_nothing_and_says_so():
    key, _plain = api_key_create(name="Old head-end", scopes=["reads:write"])
    create_api_key("--revoke", key.prefix)
    revoked_at = ApiKey.objects.get().revoked_at

    lines = create_api_key("--revoke", key.prefix)

    assert ApiKey.objects.get().revoked_at == revoked_at
    assert lines


def test_revoking_an_unknown_prefix_is_a_command_error():
    with pytest.raises(CommandError):
        create_api_key("--revoke", "000000000000")


def test_the_help_explains_usage_and_lists_the_scopes():
    command = load_command_class("core", "create_api_key")

    text = command.create_parser("manage.py", "create_api_key").format_help()

    assert "--scopes" in text and "--revoke" in text
    assert "X-API-Key" in text
    for scope in KNOWN_SCOPES:
        assert scope in text
