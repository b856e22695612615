"""The one decorator for pages that need a permission."""

from functools import wraps

from django.contrib.auth.decorators import login_required, permission_required


def permission_required_page(permission: str):
    """Signed in (else to the login page) and holding ``permission`` (else 403)."""

    def decorator(view):
        @wraps(view)
        @login_required
        @permission_required(permission, raise_exception=True)
        def wrapper(request, *args, **kwargs):
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
