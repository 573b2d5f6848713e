"""Every absolute URL oneclick hands out (mails, QR codes, snippets, the API), built from PUBLIC_URL.

The request's own host never appears in one (a forged ``Host`` header can't redirect a mailed link), and the
same call works inside a request, from a CLI command or from a background task: the URL adapter is bound to
PUBLIC_URL, not to a request.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app
from werkzeug.routing import MapAdapter


def _adapter(app: Flask) -> MapAdapter:
    """Return the app's URL adapter bound to PUBLIC_URL (rebound if the setting changed, as tests do)."""
    public_url = app.config["PUBLIC_URL"]
    cached = app.extensions.get("oneclick.url_adapter")
    if cached is not None and cached[0] == public_url:
        return cached[1]
    parts = urlsplit(public_url)
    adapter = app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    app.extensions["oneclick.url_adapter"] = (public_url, adapter)
    return adapter


def external_url(endpoint: str, /, **values) -> str:
    """Return the absolute URL of ``endpoint`` under PUBLIC_URL (what ``url_for(..., _external=True)`` means here)."""
    app = current_app._get_current_object()
    anchor = values.pop("_anchor", None)
    app.inject_url_defaults(endpoint, values)
    url = _adapter(app).build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url
