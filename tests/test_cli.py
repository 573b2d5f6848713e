"""Operator commands."""

from sqlalchemy import select

from oneclick.extensions import db
from oneclick.models import User


def test_users_create_and_promote(app, runner):
    args = ["users", "create", "Op@Example.com", "--name", "Operator", "--password", "pw-123456789"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "Created op@example.com" in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "op@example.com"))
        assert user.email_verified_at is not None and not user.is_admin
    result = runner.invoke(args=["users", "promote", "op@example.com"])
    assert result.exit_code == 0 and "is now an admin" in result.output
    with app.app_context():
        assert db.session.scalar(select(User.is_admin).where(User.email == "op@example.com"))


def test_users_create_admin(app, runner):
    result = runner.invoke(args=["users", "create", "root@example.com", "--name", "Root", "--password", "pw-123456789",
                                 "--admin"])
    assert result.exit_code == 0 and "Created admin" in result.output


def test_users_create_refuses_duplicates_and_bad_email(app, runner, user):
    result = runner.invoke(args=["users", "create", "ada@example.com", "--name", "Ada", "--password", "pw-123456789"])
    assert result.exit_code != 0 and "already exists" in result.output
    result = runner.invoke(args=["users", "create", "not-an-email", "--name", "X", "--password", "pw-123456789"])
    assert result.exit_code != 0 and "Invalid value for EMAIL" in result.output


def test_users_promote_unknown(app, runner):
    result = runner.invoke(args=["users", "promote", "ghost@example.com"])
    assert result.exit_code != 0 and "No account with ghost@example.com" in result.output


def test_signed_in_after_cli_create(app, runner, auth):
    runner.invoke(args=["users", "create", "op@example.com", "--name", "Op", "--password", "pw-123456789"])
    assert auth.login(email="op@example.com", password="pw-123456789").status_code == 302


def test_users_promote_writes_an_audit_entry(app, runner, user):
    from oneclick.models import AuditLog

    result = runner.invoke(args=["users", "promote", "ada@example.com"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        rows = [(a.actor, a.action, a.target, a.actor_id) for a in db.session.scalars(select(AuditLog))]
        assert rows == [("command line", "promote", "ada@example.com", None)]
        assert db.session.scalar(select(User.is_admin).where(User.email == "ada@example.com"))


def test_every_command_group_is_registered_once(app):
    import click

    ctx = click.Context(app.cli)
    groups = {name: app.cli.get_command(ctx, name) for name in app.cli.list_commands(ctx)}
    expected = {
        "users": {"create", "promote", "purge-unverified"},
        "support": {"show", "grant", "lift", "label", "unlabel"},
        "tokens": {"create", "list", "revoke"},
        "invitations": {"purge-captchas"},
        "requests": {"purge-unconfirmed", "erase-expired"},
        "notify": {"digest"},
    }
    for name, commands in expected.items():
        assert set(groups[name].commands) == commands, name
