"""Staff roles as groups with permissions, kept in step after every migrate."""

from django.db.models.signals import post_migrate

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "Agents": [
        "accounts.view_customer",
        "accounts.add_customer",
        "accounts.view_account",
        "accounts.add_account",
        "accounts.view_sepamandate",
        "accounts.add_sepamandate",
        "core.view_outboxmessage",
    ],
    "Supervisors": [
        "accounts.view_customer",
        "accounts.add_customer",
        "accounts.change_customer",
        "accounts.view_account",
        "accounts.add_account",
        "accounts.change_account",
        "accounts.view_sepamandate",
        "accounts.add_sepamandate",
        "accounts.change_sepamandate",
        "core.view_outboxmessage",
    ],
    "Admins": [],  # admins are superusers; the group marks them for two-factor
}


def ensure_roles(**kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    for name, codes in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        permissions = []
        for code in codes:
            app_label, codename = code.split(".")
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                permissions.append(permission)
        group.permissions.add(*permissions)


def connect() -> None:
    post_migrate.connect(ensure_roles, dispatch_uid="portal_ensure_roles")
