"""Mail backends: the file outbox (default) and the in-memory one."""

from email import message_from_bytes

import pytest

from oneclick.mail import outbox, send_mail


@pytest.mark.config(MAIL_BACKEND="file")
def test_file_backend_writes_an_eml_per_message(app, instance_dir):
    with app.app_context():
        send_mail("ada@example.com", "Hello", "Plain text body", "<p>HTML body</p>")
    files = sorted((instance_dir / "outbox").glob("*.eml"))
    assert files
    msg = message_from_bytes(files[-1].read_bytes())
    assert msg["To"] == "ada@example.com" and msg["Subject"] == "Hello"
    assert msg.is_multipart()


def test_memory_backend_keeps_messages(app):
    with app.app_context():
        send_mail("ada@example.com", "Hi", "Body")
        assert outbox()[-1]["Subject"] == "Hi"


@pytest.mark.config(MAIL_BACKEND="pigeon")
def test_unknown_backend_is_an_error(app):
    with app.app_context(), pytest.raises(ValueError, match="Unknown MAIL_BACKEND"):
        send_mail("ada@example.com", "Hi", "Body")
