"""Public pages behind a link: the landing page, its QR codes, present mode and /@handle."""
