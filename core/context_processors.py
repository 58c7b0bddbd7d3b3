from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    return {
        "COMPANY_NAME": settings.COMPANY_NAME,
        "COMPANY_HOTLINE": settings.COMPANY_HOTLINE,
        "COMPANY_EMAIL": settings.COMPANY_EMAIL,
        "IS_STAFF_AREA": request.path.startswith("/staff/"),
    }
