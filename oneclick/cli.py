"""Every operator command group, registered in one place (each feature keeps its commands in its cli.py).

``flask --app oneclick users|support|tokens|invitations|requests|notify|links ...``
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Add every feature's command groups to ``app.cli``."""
    from .admin.cli import support
    from .api.cli import tokens
    from .auth.cli import users
    from .demo import demo_command
    from .inbox.cli import notify_cli, requests_cli
    from .invitations.cli import invitations_cli
    from .links.cli import links_cli
    from .webhooks.cli import webhooks_cli

    for group in (users, support, tokens, invitations_cli, requests_cli, notify_cli, demo_command, links_cli,
                  webhooks_cli):
        app.cli.add_command(group)
