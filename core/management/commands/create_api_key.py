"""`manage.py create_api_key NAME --scopes accounts:read,customers:write`: a key for an integration."""

import argparse

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.apikeys import KNOWN_SCOPES, UnknownScope, api_key_create, api_key_revoke
from core.models import ApiKey

NAME_MAX_LENGTH = ApiKey._meta.get_field("name").max_length


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _(
            "Create an API key for an integration (meter head-end, accounting …). The key is printed "
            "once, on the first line, and only its hash is stored. Clients send it as "
            "'X-API-Key: <key>' or 'Authorization: Bearer <key>'. With --revoke PREFIX, revoke a key instead."
        )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", nargs="?", help=_('Who uses the key, e.g. "Meter head-end".'))
        parser.add_argument(
            "--scopes",
            help=_("Comma-separated scopes the key grants. Known scopes: %(scopes)s.")
            % {"scopes": ", ".join(KNOWN_SCOPES)},
        )
        parser.add_argument(
            "--revoke",
            metavar="PREFIX",
            help=_("Revoke the key with this prefix instead (the 12 characters after 'up_', listed in the admin)."),
        )

    def handle(self, *args, **options) -> None:
        if options["revoke"]:
            if options["name"] or options["scopes"]:
                raise CommandError(_("--revoke takes neither a name nor --scopes."))
            self.revoke(prefix=options["revoke"])
            return
        self.create(name=(options["name"] or "").strip(), scopes_text=options["scopes"] or "")

    def create(self, *, name: str, scopes_text: str) -> None:
        if not name:
            raise CommandError(_('Name the key, e.g. create_api_key "Meter head-end" --scopes reads:write.'))
        if len(name) > NAME_MAX_LENGTH:
            raise CommandError(_("A key's name has at most %(max)d characters.") % {"max": NAME_MAX_LENGTH})
        scopes = [scope.strip() for scope in scopes_text.split(",") if scope.strip()]
        known = ", ".join(KNOWN_SCOPES)
        if not scopes:
            raise CommandError(_("Give the key's scopes with --scopes. Known scopes: %(known)s.") % {"known": known})
        try:
            key, plain = api_key_create(name=name, scopes=scopes)
        except UnknownScope as error:
            raise CommandError(
                _("Unknown scope in “%(given)s”. Known scopes: %(known)s.") % {"given": scopes_text, "known": known}
            ) from error
        self.stdout.write(plain)
        self.stdout.write(
            _("Key “%(name)s” (prefix %(prefix)s, scopes %(scopes)s). It is shown only this once: store it now.")
            % {"name": key.name, "prefix": key.prefix, "scopes": ", ".join(key.scopes)}
        )

    def revoke(self, *, prefix: str) -> None:
        key = ApiKey.objects.filter(prefix=prefix.strip()).first()
        if key is None:
            raise CommandError(_("There is no API key with the prefix %(prefix)s.") % {"prefix": prefix})
        if not key.is_active:
            self.stdout.write(_("Key %(key)s was already revoked.") % {"key": key})
            return
        api_key_revoke(key=key)
        self.stdout.write(_("Key %(key)s is revoked.") % {"key": key})
