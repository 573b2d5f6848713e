"""WSGI entry point: ``gunicorn wsgi:app``."""

from oneclick import create_app

app = create_app()
