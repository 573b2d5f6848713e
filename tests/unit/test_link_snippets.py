"""Snippets, charts and the bot filter: pure functions."""

from __future__ import annotations

from datetime import date, timedelta
from html.parser import HTMLParser

import pytest

from oneclick.landing.bots import is_probably_bot
from oneclick.links import charts, snippets

URL = "https://oneclick.example.com/c/abc~1.sig"
QR = "https://oneclick.example.com/c/abc~1.sig/qr.png?size=144&border=2"


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parse(html: str) -> list[tuple[str, dict]]:
    collector = _Collector()
    collector.feed(html)
    return collector.tags


def test_signature_is_a_table_with_inline_styles_and_absolute_urls():
    s = snippets.build(URL, "Ada <Lovelace>", "Say hi & connect", QR)
    tags = parse(s.signature_html)
    assert tags[0][0] == "table" and "style" in tags[0][1]
    links = [a for t, a in tags if t == "a"]
    assert links and all(a["href"] == URL for a in links)
    img = next(a for t, a in tags if t == "img")
    assert img["src"] == QR and img["width"] == "72" and img["alt"]
    assert all("style" in a for t, a in tags if t in ("td", "a", "img"))
    assert "Ada &lt;Lovelace&gt;" in s.signature_html and "Say hi &amp; connect" in s.signature_html


def test_signature_without_qr_has_no_image():
    s = snippets.build(URL, "Ada", "", None)
    assert "<img" not in s.signature_html
    assert "Connect with me" in s.signature_html


def test_text_markdown_and_button():
    s = snippets.build(URL, "Ada", "Let's [talk]")
    assert s.plain_text == f"Let's [talk]: {URL}"
    assert s.markdown == f"[Let's \\[talk\\]]({URL})"
    tags = parse(s.button_html)
    assert tags == [("a", {"href": URL, "style": tags[0][1]["style"]})]
    assert "display:inline-block" in tags[0][1]["style"]


def test_text_is_normalised_and_defaulted():
    assert snippets.build(URL, "Ada", "  a \n b ").plain_text == f"a b: {URL}"
    assert snippets.build(URL, "Ada", "").markdown == f"[Connect with me]({URL})"


def test_bar_chart_geometry():
    today = date(2026, 3, 31)
    series = [(today - timedelta(days=29 - i), 0) for i in range(30)]
    series[-1] = (today, 7)
    series[0] = (series[0][0], 1)
    chart = charts.bar_chart(series, width=720, height=200)
    assert len(chart.bars) == 30 and chart.total == 8 and chart.maximum == 10
    tallest = chart.bars[-1]
    assert tallest.y + tallest.height == chart.plot_bottom
    assert tallest.height == pytest.approx((chart.plot_bottom - chart.plot_top) * 0.7)
    assert chart.bars[0].height >= 1.5  # one click stays visible
    assert chart.bars[1].height == 0
    xs = [b.x for b in chart.bars]
    assert xs == sorted(xs) and xs[-1] + chart.bars[-1].width <= chart.width


@pytest.mark.parametrize("value,expected", [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (260, 500), (1000, 1000)])
def test_nice_max(value, expected):
    assert charts.nice_max(value) == expected


BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 "
    "Edg/120.0.0.0",
]
SCANNERS = [
    "",
    "Mozilla",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "WhatsApp/2.23.20.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) BingPreview/1.0b",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)",
    "Mozilla/5.0 (compatible; proofpoint)",
    "Mimecast-URL-Protect",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Go-http-client/2.0",
    "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.4648",
]


@pytest.mark.parametrize("ua", BROWSERS)
def test_browsers_are_people(ua):
    assert not is_probably_bot(ua, {})


@pytest.mark.parametrize("ua", SCANNERS)
def test_scanners_are_not(ua):
    assert is_probably_bot(ua, {})


def test_prefetch_is_not_a_click():
    assert is_probably_bot(BROWSERS[0], {"Sec-Purpose": "prefetch;prerender"})
    assert is_probably_bot(BROWSERS[0], {"Purpose": "prefetch"})


def test_chart_day_ticks_are_few_and_include_both_ends():
    days = [date(2026, 3, 1) + timedelta(days=i) for i in range(30)]
    assert charts.day_ticks(days) == [days[0], days[14], days[29]]
    assert charts.day_ticks(days[:2]) == days[:2]
    assert charts.bar_chart([(d, 1) for d in days]).ticks == [days[0], days[14], days[29]]
