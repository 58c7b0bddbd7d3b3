"""The one settings module. Everything that differs between machines comes from
environment variables; the defaults are the embedded laptop set-up (SQLite, a
file-system Celery broker, e-mail written to files, no external services).
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
_production = env.bool("PRODUCTION", default=False)
# The embedded default key is for a laptop only; production must set its own.
if _production and not env.str("SECRET_KEY", default=""):
    raise ImproperlyConfigured("PRODUCTION is on: set SECRET_KEY to a long random value.")
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-embedded-default-key-for-a-laptop-only-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    "ninja",  # serves Swagger UI from local static files (no CDN)
    "django_htmx",
    "template_partials",
    "djmoney",
    "phonenumber_field",
    "simple_history",
    "django_celery_beat",
    "csp",
    "core",
    "meters",
    "accounts",
    "supply",
    "metering",
    "billing",
    "payments",
    "orders",
    "arrears",
    "outages",
    "support",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.StaffTwoFactorMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",
                "core.context_processors.portal",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout so that web, worker and beat can share one file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://portal")}

# --- Auth (django-allauth) -------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_ADAPTER = "accounts.adapters.PortalAccountAdapter"
# Failed logins are limited per IP and per e-mail address (allauth's own limiter).
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("LOGIN_FAILED_RATE_LIMIT", default="20/m/ip,5/300s/key"),
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Stadtwerke Portal")
HEADLESS_CLIENTS = ("app",)
HEADLESS_ONLY = False
# Users in these groups (and every superuser) must use two-factor.
STAFF_GROUPS_REQUIRING_MFA = ("Agents", "Supervisors", "Admins")

# --- Internationalisation --------------------------------------------------
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "portal_language"
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True
PHONENUMBER_DEFAULT_REGION = "DE"
PHONENUMBER_DB_FORMAT = "E164"
DEFAULT_CURRENCY = "EUR"
CURRENCIES = ("EUR",)

# --- Static and media ------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str("STATICFILES_BACKEND", default="django.contrib.staticfiles.storage.StaticFilesStorage")
    },
}

# --- E-mail ----------------------------------------------------------------
EMAIL_FILE_PATH = VAR_DIR / "mail"
_email = env.email_url("EMAIL_URL", default="filemail://")
if _email["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend":
    _email["EMAIL_FILE_PATH"] = str(EMAIL_FILE_PATH)
vars().update(_email)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Stadtwerke Portal <service@stadtwerke.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ----------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("out", "processed"):
        (BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "out"),
        "data_folder_out": str(BROKER_DIR / "out"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),  # exchange tables; kombu's default is ./control
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat copies these into django-celery-beat's tables, where admins change the times.
CELERY_BEAT_SCHEDULE = {
    "activate-due-agreements": {
        "task": "supply.tasks.activate_due_agreements",
        "schedule": crontab(hour=0, minute=30),
    },
    "estimate-final-reads": {
        "task": "supply.tasks.estimate_final_reads",
        "schedule": crontab(hour=0, minute=45),
    },
    "daily-bill-run": {"task": "billing.tasks.bill_run_daily", "schedule": crontab(hour=2, minute=0)},
    "raise-instalments": {"task": "billing.tasks.raise_instalments", "schedule": crontab(hour=1, minute=0)},
    "escalate-tickets": {"task": "support.tasks.escalate_tickets", "schedule": crontab(minute="*/10")},
    "fetch-support-mail": {"task": "support.tasks.fetch_support_mail", "schedule": crontab(minute="*/5")},
    "sepa-collect": {"task": "payments.tasks.sepa_collect_due", "schedule": crontab(hour=6, minute=0)},
    # Before the direct-debit run, so that amounts presented again go into its file.
    "dunning-run": {"task": "arrears.tasks.dunning_run_daily", "schedule": crontab(hour=5, minute=0)},
    "announce-planned-interruptions": {
        "task": "outages.tasks.announce_planned_interruptions",
        "schedule": crontab(minute=15),
    },
    "purge-retained-records": {
        "task": "portal.tasks.purge_retained_records",
        "schedule": crontab(hour=3, minute=30),
    },
    # After the bill run and before the direct-debit run: ends supplies, refunds credits, closes accounts.
    "settle-ended-accounts": {
        "task": "payments.tasks.settle_ended_accounts",
        "schedule": crontab(hour=4, minute=0),
    },
}

# --- Support mailbox (IMAP; without a host, .eml files in var/support-mail) --
SUPPORT_IMAP_HOST = env.str("SUPPORT_IMAP_HOST", default="")
SUPPORT_IMAP_PORT = env.int("SUPPORT_IMAP_PORT", default=993)
SUPPORT_IMAP_USER = env.str("SUPPORT_IMAP_USER", default="")
SUPPORT_IMAP_PASSWORD = env.str("SUPPORT_IMAP_PASSWORD", default="")
SUPPORT_IMAP_FOLDER = env.str("SUPPORT_IMAP_FOLDER", default="INBOX")
SUPPORT_MAIL_DIR = env.path("SUPPORT_MAIL_DIR", default=str(VAR_DIR / "support-mail"))

# --- Company data (printed on mandates, mails, later on bills) -------------
COMPANY_NAME = env.str("COMPANY_NAME", default="Stadtwerke Musterstadt GmbH")
COMPANY_ADDRESS = env.str("COMPANY_ADDRESS", default="Hauptstraße 1, 12345 Musterstadt")
COMPANY_HOTLINE = env.str("COMPANY_HOTLINE", default="+49 30 1234567")
COMPANY_EMAIL = env.str("COMPANY_EMAIL", default="service@stadtwerke.example")
# The German test creditor identifier; production sets its own.
SEPA_CREDITOR_ID = env.str("SEPA_CREDITOR_ID", default="DE98ZZZ09999999999")
ACCOUNT_NUMBER_START = 10_000_000

# --- Supply and tariffs -----------------------------------------------------
# How far back a move-in or switch date may lie when a customer asks for supply.
SUPPLY_START_MAX_DAYS_BACK = env.int("SUPPLY_START_MAX_DAYS_BACK", default=42)
# Days after the end of supply that we wait for the customer's final read before
# recording an estimated one (a move-out date may lie as far back as a start date).
FINAL_READ_WAIT_DAYS = env.int("FINAL_READ_WAIT_DAYS", default=7)
# A price change must be announced this long before it applies (EnWG §41(5)).
PRICE_CHANGE_NOTICE_WEEKS = env.int("PRICE_CHANGE_NOTICE_WEEKS", default=6)
# Issued bills are rendered and sent by their own task (the bill-run bench turns it off).
BILLING_DELIVER_ON_ISSUE = env.bool("BILLING_DELIVER_ON_ISSUE", default=True)
# The final bill goes out within this many days of the end of supply (EnWG §40b: 6 weeks).
FINAL_BILL_DEADLINE_DAYS = env.int("FINAL_BILL_DEADLINE_DAYS", default=42)
# A credit left by the final bill is paid back within this many days of it (EnWG §40c: 2 weeks).
FINAL_REFUND_DEADLINE_DAYS = env.int("FINAL_REFUND_DEADLINE_DAYS", default=14)

# --- Online payments ---------------------------------------------------------
# Without a secret key the labelled sandbox provider takes Stripe's place (no real money).
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Payment providers offered, by import path; the first one available takes online payments.
PAYMENT_PROVIDERS = ["payments.providers.stripe.StripeProvider", "payments.providers.sandbox.SandboxProvider"]

# --- SEPA direct debit and bank statements -----------------------------------
# Customers hear of a direct debit this many calendar days before it is collected.
SEPA_PRENOTIFICATION_DAYS = env.int("SEPA_PRENOTIFICATION_DAYS", default=14)
# What a returned direct debit costs the customer (EUR, e.g. "3.50"); 0 books no fee.
SEPA_RETURN_FEE = env.str("SEPA_RETURN_FEE", default="0")

# --- Arrears (the procedures, levels, fees and plan rules are admin settings) --
# A returned payment holds the account's reminders this many days for a review.
DUNNING_RETURN_REVIEW_DAYS = env.int("DUNNING_RETURN_REVIEW_DAYS", default=7)
# Planned interruptions are announced to the customers affected this many days ahead.
OUTAGE_PLANNED_NOTICE_DAYS = env.int("OUTAGE_PLANNED_NOTICE_DAYS", default=3)

# --- Department notices (who hears of customer changes is an admin setting) --
# A webhook that does not answer within this many seconds counts as failed.
DEPARTMENT_WEBHOOK_TIMEOUT = env.float("DEPARTMENT_WEBHOOK_TIMEOUT", default=10.0)
# Tries per delivery, and the back-off between them (doubling from the base, capped).
DEPARTMENT_NOTICE_MAX_ATTEMPTS = env.int("DEPARTMENT_NOTICE_MAX_ATTEMPTS", default=8)
DEPARTMENT_NOTICE_RETRY_BASE_SECONDS = env.int("DEPARTMENT_NOTICE_RETRY_BASE_SECONDS", default=60)
DEPARTMENT_NOTICE_RETRY_MAX_SECONDS = env.int("DEPARTMENT_NOTICE_RETRY_MAX_SECONDS", default=6 * 3600)

# --- Personal data -----------------------------------------------------------
# Invoices and bookings of an erased customer are kept this many years after
# the end of the calendar year of the last of them, then purged (§147 AO: books
# and booking records 10 years; invoices 8 since 2025: the longer one applies).
PERSONAL_DATA_RETENTION_YEARS = env.int("PERSONAL_DATA_RETENTION_YEARS", default=10)

# --- Security --------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_production)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_production)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_production)
# Load balancers probe the health check over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _production else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _production
SECURE_HSTS_PRELOAD = _production
if env.bool("BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = []

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

NINJA_PAGINATION_PER_PAGE = 50

# Dotted paths of SMS / letter provider classes; empty = log only.
SMS_PROVIDER = env.str("SMS_PROVIDER", default="")
LETTER_PROVIDER = env.str("LETTER_PROVIDER", default="")
MFA_SETUP_URL = "/accounts/2fa/totp/activate/"
