"""Serve hot QR codes without entering Flask, the way a static-file server would.

QR images are fetched again and again by email clients and slide decks. Once a worker has rendered one, this
WSGI middleware answers further requests for it from the render cache:

- a conditional GET whose If-None-Match holds the cached ETag gets 304, and an unconditional GET the cached
  bytes, once the worker's link snapshot (oneclick.links.services.link_version: at most one indexed query per
  LINK_CACHE_SECONDS) confirms the link is still current: a rotated link's code is 410, revalidated or not.

Anything else (a first render, ``download=1``, bad options, a rotated or deleted link, a POST) goes to Flask
unchanged, which renders, limits, and answers errors with the friendly pages.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from werkzeug.datastructures import MultiDict
from werkzeug.http import http_date, parse_etags, quote_etag
from werkzeug.utils import get_content_type

from .. import qr
from ..security import HSTS, SECURITY_HEADERS

QR_PATH = re.compile(r"^/c/([A-Za-z0-9_~.\-]{1,200})/qr\.(svg|png)$")


class QrFastPath:
    """WSGI middleware in front of the Flask app for cached QR codes."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            match = QR_PATH.match(environ.get("PATH_INFO", ""))
            if match:
                answer = self._answer(environ, match.group(1), match.group(2))
                if answer is not None:
                    status, headers, body = answer
                    start_response(status, headers)
                    return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]
        return self.wsgi_app(environ, start_response)

    def _answer(self, environ, token: str, fmt: str):
        query = environ.get("QUERY_STRING", "")
        if "download" in query:
            return None
        try:
            options = qr.parse_options(MultiDict(parse_qsl(query)))
        except qr.QrOptionError:
            return None
        app = self.app
        cache = app.extensions["oneclick.qr_cache"]
        rendered = cache.peek((token, fmt, options))  # the key landing.views.qr_image stores it under
        if rendered is None:
            return None
        headers = [
            ("ETag", quote_etag(rendered.etag)),
            ("Cache-Control", f"public, max-age={int(app.config['QR_MAX_AGE'])}"),
            ("X-Robots-Tag", "noindex"),
            ("Date", http_date()),
            *SECURITY_HEADERS,
        ]
        if environ.get("wsgi.url_scheme") == "https":
            headers.append(HSTS)
        from ..links.services import link_version  # the app's own check that the link is still current

        with app.app_context():
            _, state = link_version(token)
        if state != "ok":
            return None  # Flask answers with the friendly 404/410 page (a conditional GET too)
        cache.count_hit()
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and parse_etags(if_none_match).contains(rendered.etag):
            return "304 NOT MODIFIED", headers, b""
        content_type = get_content_type(rendered.mimetype, "utf-8")  # as Flask would say it
        headers += [("Content-Type", content_type), ("Content-Length", str(len(rendered.body)))]
        return "200 OK", headers, rendered.body
