"""Friendly error pages; never a stack trace, never a bare 500."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

PAGES = {
    400: ("Bad request", "Something in that request didn't make sense to us."),
    403: ("Not allowed", "You don't have access to this page."),
    404: ("Not found", "We couldn't find that page. It may have moved, or the address may be mistyped."),
    405: ("Not allowed", "That page doesn't accept this kind of request."),
    410: ("Gone", "This page is no longer available."),
    413: ("Too large", "What you sent is larger than we accept."),
    429: ("Slow down", "You've made too many attempts in a short time. Please wait a little and try again."),
    500: ("Something went wrong", "An unexpected error happened on our side. Nothing you entered was lost."),
}


def render_error(status: int, title: str | None = None, message: str | None = None, **context):
    """Render the error page for ``status`` with an optional title and message."""
    default_title, default_message = PAGES.get(status, PAGES[500])
    body = render_template(
        "errors/error.html",
        status=status,
        title=title or default_title,
        message=message or default_message,
        **context,
    )
    return body, status


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    from .api import errors as api_errors  # the JSON API answers every error as JSON

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        if api_errors.is_api_path(request.path):
            return api_errors.from_http_exception(error)
        return render_error(
            400,
            "Please try that again",
            "This form was open for too long or was sent from somewhere else, so we didn't act on it. "
            "Nothing was changed. Go back, reload the page and send it again.",
            retry_url=request.path if request.method == "POST" else None,
        )

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if api_errors.is_api_path(request.path):
            return api_errors.from_http_exception(error)
        status = error.code or 500
        message = None
        if status in (410, 404) and error.description and error.description != type(error).description:
            message = error.description
        response = render_error(status, message=message)
        if status == 429 and getattr(error, "retry_after", None):
            return response[0], 429, {"Retry-After": str(error.retry_after)}
        return response

    @app.errorhandler(500)
    def _server_error(_error):
        if api_errors.is_api_path(request.path):
            return api_errors.server_error()
        return render_error(500)
