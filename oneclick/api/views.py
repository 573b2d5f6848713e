"""The API blueprint with every endpoint registered (importing the modules adds their routes)."""

from . import account, admin, inbox, invitations, links, webhooks  # noqa: F401 - importing registers the routes
from .core import bp, init_app

__all__ = ["bp", "init_app"]
