"""Staff roles as groups with permissions, kept in step after every migrate."""

from django.db.models.signals import post_migrate

# Agents and supervisors work the supply set-up queue, set up supply for a customer
# and see supplies on the customer page.
SUPPLY_PERMISSIONS = [
    "billing.view_serviceagreement",
    "billing.add_serviceagreement",
    "billing.change_serviceagreement",
    "billing.view_tariff",
    "billing.view_tariffversion",
    "billing.view_tariffprice",
    "metering.view_premise",
    "metering.view_supplypoint",
    "metering.view_meter",
    "metering.view_register",
    "metering.view_read",
    "metering.view_gasconversionfactor",
]
# Agents and supervisors work the review queue of suspect reads: accept, reject or correct.
READ_REVIEW_PERMISSIONS = [
    "metering.view_read",
    "metering.change_read",
    "metering.view_readreview",
    "metering.add_readreview",
]
# Agents and supervisors upload CSV files of meter reads in the back-office.
READ_IMPORT_PERMISSIONS = ["metering.add_read"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "Agents": [
        "accounts.view_customer",
        "accounts.add_customer",
        "accounts.view_account",
        "accounts.add_account",
        "accounts.view_sepamandate",
        "accounts.add_sepamandate",
        "core.view_outboxmessage",
        *SUPPLY_PERMISSIONS,
        *READ_REVIEW_PERMISSIONS,
        *READ_IMPORT_PERMISSIONS,
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
        *SUPPLY_PERMISSIONS,
        *READ_REVIEW_PERMISSIONS,
        *READ_IMPORT_PERMISSIONS,
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
