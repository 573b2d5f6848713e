"""oneclick: self-hosted one-click invitation links."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import caches
from . import config as config_module
from .extensions import configure_sqlite, csrf, db, limiter, login_manager, mailman, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the oneclick application."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("ONECLICK_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    _load_config(app, test_config)
    _bound_route_ids(app)
    _init_extensions(app)
    _register_blueprints(app)

    from . import cli, errors, logs, ratelimits, security

    security.init_app(app)
    ratelimits.init_app(app)
    errors.init_app(app)
    logs.init_app(app)
    cli.register(app)
    _wrap_wsgi(app)
    return app


def _wrap_wsgi(app: Flask) -> None:
    """Put the QR fast path in front of Flask, and ProxyFix (when configured) in front of everything."""
    if app.config["QR_FAST_PATH"]:
        from .landing.fastpath import QrFastPath

        app.wsgi_app = QrFastPath(app, app.wsgi_app)
    fixes = {k: int(app.config[f"PROXY_FIX_{k.upper()}"]) for k in ("x_for", "x_proto", "x_host")}
    if any(fixes.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, **fixes)


def _bound_route_ids(app: Flask) -> None:
    """Make ``<int:...>`` route ids stop at the largest id a column holds: a larger one is a 404, not a DB error."""
    from .validators import IdConverter

    app.url_map.converters["int"] = IdConverter


def _load_config(app: Flask, test_config: dict | None) -> None:
    app.config.from_object(config_module.Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("ONECLICK")
    if test_config:
        app.config.update(test_config)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module.secret_key_from_instance(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'oneclick.sqlite3'}"
    if not app.config.get("PUBLIC_URL"):
        app.config["PUBLIC_URL"] = config_module.default_public_url(app.config)
    app.config["PUBLIC_URL"] = str(app.config["PUBLIC_URL"]).rstrip("/")
    relaxed = app.debug or app.testing
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(key) is None:
            app.config[key] = not relaxed
    config_module.check(app.config, debug=app.debug)


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    mailman.init_app(app)
    caches.init_app(app)
    from . import enqueue, tasks

    enqueue.init_app(app)  # mail and webhook deliveries reach the queue once their transaction commits
    tasks.init_app(app)



def _register_blueprints(app: Flask) -> None:
    from .admin.views import bp as admin_bp
    from .api.settings import bp as api_tokens_bp
    from .api.views import init_app as init_api
    from .auth.views import bp as auth_bp
    from .contacts.views import bp as contacts_bp
    from .inbox.views import bp as inbox_bp
    from .invitations.views import bp as invitations_bp
    from .landing.card import card_image  # noqa: F401 - adds the card route to landing_bp
    from .landing.views import bp as landing_bp
    from .links.images import share_image  # noqa: F401 - adds the background and slide routes to links_bp
    from .links.views import bp as links_bp
    from .main.views import bp as main_bp
    from .notifications.views import bp as notifications_bp
    from .ops.views import bp as ops_bp
    from .privacy.views import bp as privacy_bp
    from .webhooks.views import bp as webhooks_bp

    app.register_blueprint(main_bp)
    init_api(app)  # through flask-smorest, which documents it
    app.register_blueprint(api_tokens_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(invitations_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(links_bp)
    app.register_blueprint(landing_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(contacts_bp)
