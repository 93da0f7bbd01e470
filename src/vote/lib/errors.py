"""HTML error pages for every error: never JSON or a traceback in a page."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from vote.lib.i18n import _

logger = logging.getLogger("vote.errors")

KNOWN_PAGES = {400, 401, 403, 404, 405, 409, 422, 429, 500}


def _titles(status: int) -> tuple[str, str]:
    messages = {
        400: (_("Bad request"), _("The request could not be understood.")),
        401: (_("Please log in"), _("You need to log in to see this page.")),
        403: (_("Not allowed"), _("You do not have permission to do this.")),
        404: (_("Page not found"), _("The page you asked for does not exist or has moved.")),
        405: (_("Not allowed"), _("This address does not accept that kind of request.")),
        409: (_("Conflict"), _("This was changed by someone else. Please reload and try again.")),
        422: (_("Please check your input"), _("Some of what you entered could not be accepted.")),
        429: (_("Too many attempts"), _("Please wait a few minutes and try again.")),
        500: (_("Something went wrong"), _("An unexpected error occurred. Nothing you entered was lost; please try again.")),
    }
    return messages.get(status, messages[500] if status >= 500 else messages[400])


def error_response(request: Request, status: int, detail: str | None = None) -> Response:
    """Render the error page (or an htmx fragment) for ``status``."""
    title, message = _titles(status)
    template = "partials/error.html" if request.headers.get("hx-request") else "errors/error.html"
    return Template(
        template_name=template,
        context={"status": status, "title": title, "message": message, "detail": detail},
        status_code=status,
    )


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    """Known HTTP errors: a friendly page with the right status; 401 sends the browser to log in."""
    if isinstance(exc, NotAuthorizedException) and not request.headers.get("hx-request"):
        return Redirect(path=f"/login?next={request.url.path}")
    detail = None
    if isinstance(exc, ValidationException):
        detail = _("Some of what you entered could not be accepted.")
    elif isinstance(exc, UserError):
        detail = exc.detail
    return error_response(request, exc.status_code, detail)


def _id_out_of_range(exc: Exception) -> bool:
    """An id in a path or form too large for the database (SQLite: OverflowError; PostgreSQL: SQLSTATE 22003)."""
    seen: set[int] = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:  # the driver's error wraps the original one
        if isinstance(error, OverflowError) or getattr(error, "sqlstate", None) == "22003":
            return True
        seen.add(id(error))
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
    return False


def internal_error_handler(request: Request, exc: Exception) -> Response:
    """Anything unexpected: log it with the traceback, show a calm page without it.

    An id beyond the database's integer range cannot name anything: that is "not found", not a failure.
    """
    if _id_out_of_range(exc):
        return error_response(request, 404)
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR)


class UserError(HTTPException):
    """An error whose message is written for the user (already translated)."""

    status_code = 400

    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(detail=message, status_code=status_code)
