"""Mail: the backends (file outbox, in-memory, SMTP on a real loopback server) and every mail of oneclick.emails."""

import re
import ssl
from email import message_from_bytes

import pytest

from oneclick import emails
from oneclick.mail import outbox, send_mail, transmit

from .smtp import CERT, smtp_server


@pytest.mark.config(MAIL_BACKEND="file")
def test_file_backend_writes_an_eml_per_message(app, instance_dir):
    before = set((instance_dir / "outbox").glob("*.eml"))
    with app.app_context():
        send_mail("ada@example.com", "Hello", "Plain text body", "<p>HTML body</p>")
        send_mail("bob@example.com", "Again", "Second body")
    files = sorted(set((instance_dir / "outbox").glob("*.eml")) - before)
    assert len(files) == 2  # one file each, not one file per connection
    first, second = sorted((message_from_bytes(f.read_bytes()) for f in files), key=lambda m: m["To"])
    assert first["To"] == "ada@example.com" and first["Subject"] == "Hello"
    assert first.is_multipart()
    assert second["To"] == "bob@example.com" and second.get_payload(decode=True).decode() == "Second body"


def test_memory_backend_keeps_messages(app):
    with app.app_context():
        send_mail("ada@example.com", "Hi", "Body")
        assert outbox()[-1]["Subject"] == "Hi"
        assert outbox()[-1]["From"] == app.config["MAIL_FROM"]


@pytest.mark.config(MAIL_BACKEND="pigeon")
def test_unknown_backend_is_an_error(app):
    with app.app_context(), pytest.raises(ValueError, match="Unknown MAIL_BACKEND"):
        transmit("ada@example.com", "Hi", "Body", None, "<m1@oneclick.local>")


def test_a_control_character_in_the_subject_is_flattened(app):
    with app.app_context():
        send_mail("ada@example.com", "Bob\r\nBcc: eve@example.com", "Body")
        sent = outbox()[-1]
    assert sent["Subject"] == "Bob Bcc: eve@example.com" and sent["Bcc"] is None


# --- SMTP on loopback -------------------------------------------------------------------------------------------


def test_starttls_refuses_a_certificate_nobody_vouches_for(app):
    with smtp_server(tls=True) as (controller, handler):
        app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=True)
        with app.app_context(), pytest.raises(ssl.SSLCertVerificationError):
            transmit("ada@example.com", "Hi", "Body", None, "<m1@oneclick.local>")
    assert handler.messages == []


def test_starttls_with_a_trusted_certificate_signs_in_and_delivers(app, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(CERT))  # what a real server's CA-signed certificate gets for free
    with smtp_server(tls=True) as (controller, handler):
        app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=True,
                          MAIL_USERNAME="mailer", MAIL_PASSWORD="s3cret", MAIL_TIMEOUT=5)
        with app.app_context():
            send_mail("ada@example.com", "Über TLS", "Grüße")
    assert handler.logins == ["mailer"]
    [(sender, recipients, content)] = handler.messages
    assert recipients == ["ada@example.com"] and "no-reply@localhost" in sender
    message = message_from_bytes(content)
    assert message.get_payload(decode=True).decode().strip() == "Grüße"


# --- oneclick.emails: every mail, from a bare app context (a CLI command or a background task) ----------------


MAILS = [
    (lambda: emails.send_activation("x@example.org", "tok.1"), "Activate your oneclick account",
     "http://oneclick.test/activate/tok.1"),
    (lambda: emails.send_already_registered("x@example.org", "Ada", "register"),
     "Someone tried to register with your address", "http://oneclick.test/password/forgot"),
    (lambda: emails.send_no_account("x@example.org", "reset"), "Your oneclick request",
     "http://oneclick.test/register"),
    (lambda: emails.send_password_reset("x@example.org", "Ada", "tok.2"), "Choose a new oneclick password",
     "http://oneclick.test/password/reset/tok.2"),
    (lambda: emails.send_guest_confirmation("x@example.org", "Ada", "tok.3"),
     "Confirm your request to connect with Ada", "http://oneclick.test/requests/confirm/tok.3"),
    (lambda: emails.send_new_request("x@example.org", "Ada", "Grace", "g@example.org", "Hi", "Meetup", False),
     "Grace wants to connect with you", "http://oneclick.test/requests"),
    (lambda: emails.send_digest("x@example.org", "Ada", [], 3), "3 new connection requests",
     "http://oneclick.test/requests"),
    (lambda: emails.send_invitation("x@example.org", "Bob\t Babbage", "", "", member=True),
     "Bob Babbage invites you to connect on oneclick", "http://oneclick.test/invitations/received"),
]


@pytest.mark.parametrize(("send", "subject", "url"), MAILS)
def test_every_mail_builds_its_links_from_public_url_outside_any_request(app, send, subject, url):
    with app.app_context():  # no request context: the digest runs from the CLI
        send()
        sent = outbox()[-1]
    assert sent["To"] == "x@example.org" and sent["Subject"] == subject
    links = re.findall(r"https?://\S+", sent.get_content())
    assert url in links and all(link.startswith("http://oneclick.test/") for link in links)


def test_a_forged_host_header_never_reaches_a_mailed_link(app, client, user):
    response = client.post("/password/forgot", headers={"Host": "evil.example"}, data={"email": "ada@example.com"})
    assert response.status_code < 500
    with app.app_context():
        texts = [m.get_content() for m in outbox()]
    assert "evil.example" not in "".join(texts)
