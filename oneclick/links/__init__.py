"""The owner's links: create, edit, pause, rotate, statistics, QR codes and snippets."""
