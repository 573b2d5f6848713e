"""The audit log: who did what to whom, when. Every write to ``audit_log`` goes through ``record``.

One rule names the actor: a member is named by their email; an operator at the shell is ``COMMAND_LINE``;
the application acting on its own (an automatic restriction, a spammer label) is ``SYSTEM``.
"""

from __future__ import annotations

from datetime import datetime

from .extensions import db
from .models import AuditLog, User

COMMAND_LINE = "command line"
SYSTEM = "system"

#: A member acting in the app, or one of the two labels above.
Actor = User | str


def actor_label(actor: Actor) -> str:
    """The name the audit log (and ``resolved_by``/``granted_by`` columns) gives this actor."""
    return actor if isinstance(actor, str) else actor.email


def record(actor: Actor, action: str, target: User | None, detail: str, now: datetime) -> None:
    """Add one audit entry to the session (the caller commits it with the change it describes)."""
    db.session.add(AuditLog(
        actor_id=None if isinstance(actor, str) else actor.id,
        actor=actor_label(actor),
        action=action,
        target_id=target.id if target is not None else None,
        target=target.email if target is not None else "",
        detail=detail[:500],
        at=now,
    ))
