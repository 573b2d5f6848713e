"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import uuid

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from oneclick import create_app
from oneclick.extensions import db

from .conftest import PG_URL, _test_config


def _fresh_database_url(tmp_path):
    if not PG_URL:
        return f"sqlite:///{tmp_path / 'migrations.sqlite3'}", None
    schema = f"mig_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}", (engine, schema)


def test_upgrade_matches_models_and_downgrades(tmp_path, monkeypatch):
    monkeypatch.setenv("ONECLICK_INSTANCE_PATH", str(tmp_path))
    url, cleanup = _fresh_database_url(tmp_path)
    app = create_app({**_test_config(url)})
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            downgrade(revision="base")
            assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
            db.engine.dispose()
    finally:
        if cleanup:
            engine, schema = cleanup
            with engine.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            engine.dispose()
