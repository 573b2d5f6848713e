"""The real oneclick app plus one bare route, the baseline every HTTP benchmark compares against."""

from oneclick import create_app

app = create_app()


@app.get("/_bench/bare")
def bare():
    """Return a constant: what Flask, gunicorn and the network cost with no work of ours."""
    return "ok"
