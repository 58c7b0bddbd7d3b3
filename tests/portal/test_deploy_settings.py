"""Production settings pass Django's deployment checklist; the embedded default stays usable over plain HTTP.

Settings are read once per process, so each configuration is loaded in a
subprocess with exactly the environment a deployment would give it.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

# Variables that change the security settings or checks; none may leak in from the process running the tests.
SECURITY_VARIABLES = {
    "PRODUCTION",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "BEHIND_PROXY",
    # Set by the browser tests' conftest for Playwright; never in a deployment (async.E001).
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in [
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_HTTPONLY", "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS", "ALLOWED_HOSTS",
]}))
"""


def environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in SECURITY_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        PORTAL_VAR_DIR=str(tmp_path / "var"),
        # The project's .env (if a developer has one) is read with overwrite=False:
        # every variable set here wins over it.
        **variables,
    )
    return env


def production(tmp_path: Path) -> dict[str, str]:
    return environment(
        tmp_path,
        PRODUCTION="true",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="portal.example",
    )


def embedded(tmp_path: Path) -> dict[str, str]:
    return environment(tmp_path)


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def settings_under(env: dict[str, str]) -> dict:
    result = run(["-c", PRINT_SETTINGS], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_under_the_production_environment(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_does_flag_the_embedded_default(tmp_path):
    """The check is not vacuous: the laptop set-up is not fit for the internet."""
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], embedded(tmp_path))

    assert result.returncode != 0
    output = result.stdout + result.stderr
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in output


def test_production_turns_on_secure_cookies_hsts_and_https_redirect(tmp_path):
    settings = settings_under(production(tmp_path))

    assert settings["DEBUG"] is False
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_HSTS_SECONDS"] >= 31536000
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert settings["SECURE_HSTS_PRELOAD"] is True
    assert settings["ALLOWED_HOSTS"] == ["portal.example"]


def test_embedded_default_works_over_plain_http(tmp_path):
    settings = settings_under(embedded(tmp_path))

    assert settings["DEBUG"] is False
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["CSRF_COOKIE_SECURE"] is False
    assert settings["SECURE_SSL_REDIRECT"] is False
    assert settings["SECURE_HSTS_SECONDS"] == 0


@pytest.mark.parametrize(
    "name", ["SESSION_COOKIE_HTTPONLY", "SECURE_CONTENT_TYPE_NOSNIFF"], ids=lambda name: name.lower()
)
def test_hardening_that_costs_nothing_is_on_everywhere(tmp_path, name):
    assert settings_under(embedded(tmp_path))[name] is True
    assert settings_under(production(tmp_path))[name] is True
