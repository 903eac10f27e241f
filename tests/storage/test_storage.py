"""Storage: migrations keep data, secrets are encrypted at rest and keys rotate."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect
from sqlmodel import select

from cxbot.cli import main
from cxbot.config import Settings
from cxbot.context import build
from cxbot.storage import migrate
from cxbot.storage.crypto import DecryptError, Vault, generate_key
from cxbot.storage.db import Database
from cxbot.storage.models import AccessToken
from cxbot.storage.rotation import rotate_all

pytestmark = pytest.mark.database


def test_db_upgrade_creates_the_schema_and_keeps_data_on_a_second_run(database_url, tmp_path):
    env = {"CXBOT_DATABASE_URL": database_url, "CXBOT_INSTANCE_PATH": str(tmp_path)}
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 0, result.output
    assert "was empty" in result.output
    db = Database(database_url)
    assert {"access_token", "inbound_event", "worker_heartbeat", "alembic_version"} <= set(
        inspect(db.engine).get_table_names())
    with db.session() as s:
        s.add(AccessToken(client_id="c1", access_token_enc="x", expires_at=1, issued_at=1))
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 0 and f"revision {migrate.head_revision(db.engine)}" in result.output
    with db.session() as s:
        assert s.exec(select(AccessToken.client_id)).all() == ["c1"]
    db.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.dispose()


def test_secrets_rotate_to_a_new_key(make_ctx):
    ctx, _ = make_ctx()
    token = ctx.tokens.get(ctx.hub_app)
    old_key = ctx.settings.secret_key.get_secret_value()
    new_key = generate_key()
    rotated = build(ctx.settings.with_overrides(secret_key=f"{new_key},{old_key}"))
    assert rotate_all(rotated.db, rotated.vault) >= 2  # access and refresh token
    only_new = build(ctx.settings.with_overrides(secret_key=new_key))
    assert only_new.tokens.get(only_new.hub_app) == token
    with pytest.raises(DecryptError):
        with ctx.db.session() as s:
            Vault(old_key).decrypt(s.exec(select(AccessToken)).one().access_token_enc)
    rotated.close()
    only_new.close()


def test_the_embedded_default_creates_a_key_in_the_instance_folder(tmp_path):
    ctx = build(Settings(instance_path=tmp_path, demo=True))
    key_file = tmp_path / "secret.key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert ctx.vault.decrypt(ctx.vault.encrypt("x")) == "x"
    ctx.close()


def test_a_non_demo_start_without_a_key_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="CXBOT_SECRET_KEY"):
        build(Settings(instance_path=tmp_path))
