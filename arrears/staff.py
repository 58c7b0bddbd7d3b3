"""The back-office pages of arrears (being built)."""

from django.http import Http404


def worklist(request):
    raise Http404
