"""Access to the back-office: the one check every staff page uses."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def staff_required(*permissions: str) -> Callable:
    """Signed-in staff with every one of `permissions`; anonymous visitors get
    the login page, everybody else 403. (Two-factor is enforced before this by
    `core.middleware.StaffTwoFactorMiddleware` for every /staff/ URL.)"""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not (request.user.is_staff and request.user.has_perms(permissions)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.staff_permissions = permissions
        return wrapped

    return decorator
