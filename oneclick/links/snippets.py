"""Copy-and-paste snippets for a link: email signature, plain text, Markdown and an HTML button.

Pure functions over absolute URLs. The HTML uses tables and inline styles because that is what survives
Gmail, Outlook and Apple Mail; it is shown to the owner as text (and in a sandboxed preview), never in our DOM.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import escape

DEFAULT_TEXT = "Connect with me"
FONT = "Arial, Helvetica, sans-serif"
ACCENT = "#0a58ca"


@dataclass(frozen=True, slots=True)
class Snippets:
    """Every snippet for one link."""

    signature_html: str
    plain_text: str
    markdown: str
    button_html: str


def signature_html(url: str, name: str, text: str, qr_png_url: str | None = None) -> str:
    """Return an email-signature block: the owner's name, the link text and an optional small QR code."""
    url_attr, name_html, text_html = escape(url), escape(name), escape(text)
    qr_cell = ""
    if qr_png_url:
        qr_cell = (
            '    <td style="padding:0 12px 0 0;vertical-align:middle;">'
            f'<a href="{url_attr}" style="text-decoration:none;">'
            f'<img src="{escape(qr_png_url)}" width="72" height="72" alt="QR code: {text_html}" '
            'style="display:block;width:72px;height:72px;border:0;outline:none;"></a></td>\n'
        )
    return (
        '<table cellpadding="0" cellspacing="0" border="0" role="presentation" '
        f'style="border-collapse:collapse;font-family:{FONT};font-size:14px;line-height:20px;color:#1b1f24;">\n'
        "  <tr>\n"
        f"{qr_cell}"
        '    <td style="vertical-align:middle;">'
        f'<strong style="font-size:15px;color:#1b1f24;">{name_html}</strong><br>'
        f'<a href="{url_attr}" style="color:{ACCENT};text-decoration:underline;">{text_html}</a></td>\n'
        "  </tr>\n"
        "</table>"
    )


def button_html(url: str, text: str) -> str:
    """Return a "Connect with me" button: a styled link that needs no CSS file and no script."""
    return (
        f'<a href="{escape(url)}" style="display:inline-block;padding:10px 18px;background:{ACCENT};'
        f"color:#ffffff;font-family:{FONT};font-size:15px;font-weight:bold;line-height:20px;"
        f'text-decoration:none;border-radius:6px;">{escape(text)}</a>'
    )


def _markdown_text(text: str) -> str:
    out = []
    for ch in text:
        if ch in "\\[]()*_`<>!#":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def build(url: str, name: str, text: str = "", qr_png_url: str | None = None) -> Snippets:
    """Return all snippets for a link URL; ``text`` defaults to "Connect with me"."""
    text = " ".join((text or DEFAULT_TEXT).split())
    return Snippets(
        signature_html=signature_html(url, name, text, qr_png_url),
        plain_text=f"{text}: {url}",
        markdown=f"[{_markdown_text(text)}]({url})",
        button_html=button_html(url, text),
    )


def preview_document(snippet_html: str) -> str:
    """Return a tiny HTML document that shows a snippet the way a mail client would."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Preview</title></head>'
        '<body style="margin:12px;background:#ffffff;">' + snippet_html + "</body></html>"
    )
