"""The customer's arrears pages (being built)."""

from django.http import Http404


def _missing(request, *args, **kwargs):
    raise Http404


overview = pay = notice_pdf = plan_new = plan_detail = plan_pdf = plan_accept_link = _missing
