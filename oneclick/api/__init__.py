"""The JSON API for integrations (``/api/v1``), personal access tokens and the API documentation page."""
