"""Print the QR code version (size) a typical link URL needs at each error correction level.

    .venv/bin/python bench/qr_version.py [PUBLIC_URL]
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask  # noqa: E402

from oneclick import qr, tokens  # noqa: E402
from oneclick.models import new_public_id  # noqa: E402


def main() -> None:
    public_url = (sys.argv[1] if len(sys.argv) > 1 else "https://oneclick.example.com").rstrip("/")
    app = Flask(__name__)
    app.config.update(SECRET_KEY=secrets.token_urlsafe(48), SECRET_KEY_FALLBACKS=[])  # length is all that matters
    with app.app_context():
        token = tokens.sign_link(new_public_id(), 1)
        rotated = tokens.sign_link(new_public_id(), 300)  # a link rotated hundreds of times: version "12c"
    rows = [
        ("link", f"{public_url}/c/{token}"),
        ("link, rotated 300x", f"{public_url}/c/{rotated}"),
        ("vanity", f"{public_url}/@ada-lovelace"),
        ("stable path", f"{public_url}/@ada-lovelace/slides"),
    ]
    print(f"token length: {len(token)} characters ({token})")
    print(f"{'URL':<20} {'chars':>5}  " + "  ".join(f"{level:>10}" for level in qr.ECC_LEVELS))
    for name, url in rows:
        cells = []
        for level in qr.ECC_LEVELS:
            version = qr.qr_version(url, level)
            cells.append(f"v{version} {17 + 4 * version}x{17 + 4 * version}".rjust(10))
        print(f"{name:<20} {len(url):>5}  " + "  ".join(cells))


if __name__ == "__main__":
    main()
