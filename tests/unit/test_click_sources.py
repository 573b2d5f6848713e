"""The click-source buckets (pure): referring host, utm_source, device class; and the unfurlers that never count."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oneclick.landing import sources
from oneclick.landing.bots import UNFURLERS, is_probably_bot, is_unfurler
from oneclick.limits import SOURCE_VALUE_MAX

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Mobile/15E148 Safari/604.1")
IPAD = ("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 "
        "Mobile/15E148 Safari/604.1")
ANDROID_PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                 "Chrome/126.0.0.0 Mobile Safari/537.36")
ANDROID_TABLET = ("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/126.0.0.0 Safari/537.36")
FIREFOX_ANDROID_TABLET = "Mozilla/5.0 (Android 13; Tablet; rv:128.0) Gecko/128.0 Firefox/128.0"
FIREFOX_ANDROID_PHONE = "Mozilla/5.0 (Android 13; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0"
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
       "Version/17.5 Safari/605.1.15")
WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
           "Safari/537.36 Edg/126.0.0.0")
KINDLE = "Mozilla/5.0 (Linux; U; Android 4.0.3; en-us; KFTT Build/IML74K) AppleWebKit/537.36 Silk/3.68 like Chrome"
LINKEDIN_APP = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                "Mobile/15E148 [LinkedInApp]/9.29.8962")


@pytest.mark.parametrize(("agent", "device"), [
    (IPHONE, "phone"), (ANDROID_PHONE, "phone"), (FIREFOX_ANDROID_PHONE, "phone"), (LINKEDIN_APP, "phone"),
    ("Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) Mobile Safari/537.36", "phone"),
    (IPAD, "tablet"), (ANDROID_TABLET, "tablet"), (FIREFOX_ANDROID_TABLET, "tablet"), (KINDLE, "tablet"),
    (DESKTOP, "desktop"), (MAC, "desktop"), (WINDOWS, "desktop"), ("", "desktop"), (None, "desktop"),
])
def test_device_class(agent, device):
    assert sources.device_class(agent) == device


@pytest.mark.parametrize(("referer", "host"), [
    (None, "direct"), ("", "direct"), ("   ", "direct"),
    ("https://www.linkedin.com/feed/?trk=abc", "linkedin.com"),
    ("https://News.YCombinator.com:443/item?id=1", "news.ycombinator.com"),
    ("http://user:secret@blog.example.org./post/1#frag", "blog.example.org"),
    ("https://t.co/AbC", "t.co"),
    ("android-app://com.google.android.gm/", "com.google.android.gm"),
    ("https://bücher.example/", "xn--bcher-kva.example"),
    ("https://192.168.1.20/admin", "other"),  # an IP address is never stored
    ("http://[2001:db8::1]/", "other"),
    ("http://[not-an-ip/", "other"),
    ("https://" + "a" * 60 + ".example.com/", "other"),  # longer than the column
    ("https://exa mple.com/", "other"),
    ("https://direct/", "other"),  # a host that would read as a bucket
    ("about:blank", "direct"), ("file:///etc/passwd", "direct"), ("javascript:alert(1)", "direct"),
    ("not a url", "direct"), ("https://x.com/" + "p" * 5000, "other"),
])
def test_referrer_host_keeps_the_host_only(referer, host):
    assert sources.referrer_host(referer) == host


@pytest.mark.parametrize(("raw", "value"), [
    (None, None), ("", None), ("  ", None), ("---", None),
    ("newsletter", "newsletter"), ("  NewsLetter ", "newsletter"),
    ("PyCon 2026 / slides", "pycon-2026-slides"), ("a_b.c-d", "a_b.c-d"),
    ("<script>alert(1)</script>", "script-alert-1-script"),
    ("x" * 500, "x" * SOURCE_VALUE_MAX),
])
def test_utm_source_is_sanitised_and_capped(raw, value):
    assert sources.utm_source(raw) == value


@given(st.text(max_size=300))
def test_any_referer_or_utm_becomes_a_short_safe_value(text):
    for value in (sources.referrer_host(text), sources.referrer_host("https://" + text), sources.utm_source(text)):
        if value is not None:
            assert 0 < len(value) <= SOURCE_VALUE_MAX
            assert value.isascii() and value.isprintable() and " " not in value and "/" not in value


def test_click_source_puts_the_three_together():
    assert sources.click_source("https://www.github.com/ada", "Mastodon", IPHONE) == ("github.com", "mastodon", "phone")
    assert sources.click_source(None, None, DESKTOP) == ("direct", None, "desktop")


UNFURLER_AGENTS = [
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Slack-ImgProxy (+https://api.slack.com/robots)",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "WhatsApp/2.23.20.0 A",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    # iMessage's link preview
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 "
    "Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
    "Twitterbot/1.0",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com",
    "Mastodon/4.2.0 (http.rb/5.1.1; +https://mastodon.social/)",
    "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)",
    "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
    "Iframely/1.3.1 (+https://iframely.com/docs/about)",
    "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)",
    "Pinterestbot/1.0 (+http://www.pinterest.com/bot.html)",
    "Mozilla/5.0 (Linux; Android 11) Snap URL Preview Service; bot; snapchat; https://developers.snap.com/robots",
    "Mattermost-Bot/1.1",
    "Synapse (bot; +https://github.com/matrix-org/synapse)",
]


@pytest.mark.parametrize("agent", UNFURLER_AGENTS)
def test_unfurlers_are_bots_and_named_as_such(agent):
    assert is_probably_bot(agent) and is_unfurler(agent)


@pytest.mark.parametrize("agent", [IPHONE, IPAD, ANDROID_PHONE, DESKTOP, MAC, WINDOWS, LINKEDIN_APP])
def test_people_are_neither(agent):
    assert not is_probably_bot(agent) and not is_unfurler(agent)


def test_every_named_unfurler_is_a_bot():
    for name in UNFURLERS:
        assert is_probably_bot(f"Mozilla/5.0 (compatible; {name}/1.0)"), name
