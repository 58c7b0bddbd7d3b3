"""Staff roles as groups with permissions, kept in step after every migrate."""

from django.db.models.signals import post_migrate

# Agents and supervisors work the supply set-up queue, set up supply for a customer
# and see supplies on the customer page.
SUPPLY_PERMISSIONS = [
    "supply.view_serviceagreement",
    "supply.add_serviceagreement",
    "supply.change_serviceagreement",
    "supply.view_tariff",
    "supply.view_tariffversion",
    "supply.view_tariffprice",
    "meters.view_premise",
    "meters.view_supplypoint",
    "meters.view_meter",
    "meters.view_register",
    "meters.view_read",
    "meters.view_gasconversionfactor",
]
# Agents and supervisors work the review queue of suspect reads: accept, reject or correct.
READ_REVIEW_PERMISSIONS = [
    "meters.view_read",
    "meters.change_read",
    "meters.view_readreview",
    "meters.add_readreview",
]
# Agents and supervisors upload CSV files of meter reads in the back-office.
READ_IMPORT_PERMISSIONS = ["meters.add_read"]
# Agents work the ticket queues their groups are members of; supervisors see every
# queue, the escalations and the reports, and keep the canned replies.
TICKET_AGENT_PERMISSIONS = [
    "support.view_ticket",
    "support.work_ticket",
    "support.view_queue",
    "support.view_cannedreply",
]
TICKET_SUPERVISOR_PERMISSIONS = [
    *TICKET_AGENT_PERMISSIONS,
    "support.view_all_queues",
    "support.view_escalations",
    "support.view_ticket_reports",
    "support.add_cannedreply",
    "support.change_cannedreply",
]
# Agents and supervisors see payments with their allocations, record manual payments and refund credit balances.
PAYMENT_PERMISSIONS = [
    "payments.view_payment",
    "payments.add_payment",
    "payments.view_refund",
    "payments.add_refund",
    "payments.view_checkoutsession",
    "payments.view_providerevent",
]
# Agents and supervisors download the SEPA direct-debit files and mark them confirmed, import bank
# statements and work the reconciliation queue.
BANK_PERMISSIONS = [
    "payments.view_sepabatch",
    "payments.change_sepabatch",
    "payments.view_sepacollection",
    "payments.view_bankstatement",
    "payments.add_bankstatement",
    "payments.view_banktransaction",
    "payments.change_banktransaction",
    "payments.view_settlement",
    "payments.view_refundbatch",
    "payments.change_refundbatch",
]
# Agents and supervisors see and change the monthly instalment (budget billing) on the customer page.
BUDGET_PERMISSIONS = [
    "accounts.view_billingpreferences",
    "accounts.change_billingpreferences",
    "billing.view_instalment",
]
# Agents follow bill runs and their held and failed accounts; supervisors also start, stop and resume them.
BILL_RUN_VIEW_PERMISSIONS = ["billing.view_billrun", "billing.view_billrunitem"]
BILL_RUN_MANAGE_PERMISSIONS = [*BILL_RUN_VIEW_PERMISSIONS, "billing.add_billrun", "billing.change_billrun"]
# Agents and supervisors see bills and statements, release or rebill held bills, cancel bills with a
# credit note and change billing preferences; supervisors also run the accounting export.
BILL_PERMISSIONS = [
    "billing.view_invoice",
    "billing.change_invoice",
    "billing.view_ledgerentry",
    "accounts.view_billingpreferences",
    "accounts.change_billingpreferences",
]
ACCOUNTING_EXPORT_PERMISSIONS = ["billing.view_billingsettings"]
# Agents see dunning cases, notices, holds, plans and the disconnection and agency work lists, put and
# release holds and set up payment plans with a customer; supervisors also approve or stop
# disconnections and hand cases over to the collection agency (export and recall).
ARREARS_AGENT_PERMISSIONS = [
    "arrears.view_dunningcase",
    "arrears.view_dunningnotice",
    "arrears.view_dunninghold",
    "arrears.add_dunninghold",
    "arrears.change_dunninghold",
    "arrears.view_paymentplan",
    "arrears.add_paymentplan",
    "arrears.view_disconnectionorder",
    "arrears.view_agencyreferral",
]
ARREARS_SUPERVISOR_PERMISSIONS = [
    *ARREARS_AGENT_PERMISSIONS,
    "arrears.decide_disconnectionorder",
    "arrears.decide_agencyreferral",
]

# Agents and supervisors change a caller's details, e-mail and bank account, record authorised
# representatives and approve name and account holder changes another person entered (four-eyes).
CUSTOMER_CHANGE_PERMISSIONS = [
    "accounts.change_customer",
    "accounts.view_customerchange",
    "accounts.view_representative",
    "accounts.add_representative",
    "accounts.view_pendingchange",
    "accounts.approve_pendingchange",
]
# Agents and supervisors work the order queue, order for a caller (agent-only items too), set or move
# appointments, complete orders and cancel them (after the deadline with the late-cancellation fee).
ORDER_PERMISSIONS = [
    "orders.view_product",
    "orders.view_appointmentslot",
    "orders.view_order",
    "orders.add_order",
    "orders.change_order",
    "orders.view_orderline",
]
# Agents and supervisors log interruptions, add updates (status, expected and actual end), close them
# (fees and compensation are booked), and see the customers affected, the notices, the customers'
# no-supply reports and the reliability figures.
OUTAGE_PERMISSIONS = [
    "outages.view_cause",
    "outages.view_interruption",
    "outages.add_interruption",
    "outages.change_interruption",
    "outages.view_statusupdate",
    "outages.view_affectedsupply",
    "outages.view_notice",
    "outages.view_chargerule",
    "outages.view_charge",
    "outages.view_nosupplyreport",
]

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
        *PAYMENT_PERMISSIONS,
        *BANK_PERMISSIONS,
        *BUDGET_PERMISSIONS,
        *BILL_RUN_VIEW_PERMISSIONS,
        *BILL_PERMISSIONS,
        *TICKET_AGENT_PERMISSIONS,
        *ARREARS_AGENT_PERMISSIONS,
        *CUSTOMER_CHANGE_PERMISSIONS,
        *ORDER_PERMISSIONS,
        *OUTAGE_PERMISSIONS,
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
        *PAYMENT_PERMISSIONS,
        *BANK_PERMISSIONS,
        *BUDGET_PERMISSIONS,
        *BILL_RUN_MANAGE_PERMISSIONS,
        *BILL_PERMISSIONS,
        *ACCOUNTING_EXPORT_PERMISSIONS,
        *TICKET_SUPERVISOR_PERMISSIONS,
        *ARREARS_SUPERVISOR_PERMISSIONS,
        *CUSTOMER_CHANGE_PERMISSIONS,
        *ORDER_PERMISSIONS,
        *OUTAGE_PERMISSIONS,
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
