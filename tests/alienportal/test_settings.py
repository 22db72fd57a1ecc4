"""Settings come from the environment, with safe defaults; production refuses to run unconfigured."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _settings_value(module: str, expression: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Import a settings module in a clean interpreter with exactly `env`, print `expression`."""
    code = (
        f"import importlib, json; s = importlib.import_module({module!r}); print(json.dumps({expression}, default=str))"
    )
    base_env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**base_env, **env}, capture_output=True, text=True, timeout=60
    )


def test_defaults_use_sqlite_and_local_redis_for_the_demo() -> None:
    result = _settings_value(
        "alienportal.settings.local",
        "[s.DATABASES['default']['ENGINE'], s.REDIS_URL, s.AWS_ENDPOINT_URL, s.KINESIS_SHARD_COUNT, s.DEBUG]",
        {"DJANGO_READ_DOT_ENV": "0", "DJANGO_DEBUG": "true"},  # development says so (issue 14)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '["django.db.backends.sqlite3", "redis://127.0.0.1:6379/0", null, 2, true]'


def test_environment_overrides_every_part() -> None:
    result = _settings_value(
        "alienportal.settings.local",
        "[s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.DATABASES['default']['HOST'], "
        "s.REDIS_URL, s.CELERY_BROKER_URL, s.AWS_ENDPOINT_URL, s.AWS_REGION, s.KINESIS_STREAM_NAME, "
        "s.ARCHIVE_BUCKET, s.SSM_SESSION_PARAMETER, s.COGNITO_USER_POOL_ID]",
        {
            "DJANGO_DEBUG": "true",
            "DATABASE_URL": "postgres://u:p@db.internal:5433/portal",
            "REDIS_URL": "redis://cache.internal:6380/2",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
            "AWS_REGION": "eu-west-1",
            "KINESIS_STREAM_NAME": "game-stream",
            "ARCHIVE_BUCKET": "raw-bucket",
            "SSM_SESSION_PARAMETER": "/game/session",
            "COGNITO_USER_POOL_ID": "eu-west-1_abc",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '["django.db.backends.postgresql", "portal", "db.internal", "redis://cache.internal:6380/2", '
        '"redis://cache.internal:6380/2", "http://127.0.0.1:4566", "eu-west-1", "game-stream", "raw-bucket", '
        '"/game/session", "eu-west-1_abc"]'
    )


def test_production_settings_refuse_to_start_without_a_secret_key() -> None:
    result = _settings_value("alienportal.settings.production", "s.DEBUG", {"DATABASE_URL": "postgres://x@h/db"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("value", ["not-a-number", "2.5"])
def test_a_malformed_number_is_a_clear_error(value: str) -> None:
    result = _settings_value("alienportal.settings.local", "s.KINESIS_SHARD_COUNT", {"KINESIS_SHARD_COUNT": value})
    assert result.returncode != 0
    assert "invalid literal for int()" in result.stderr


def test_check_deploy_is_clean_under_production_settings() -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "alienportal.settings.production",
        "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-with-enough-entropy-0123456789abcdef",
        "DJANGO_ALLOWED_HOSTS": "portal.example.com",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/alienportal",
        "REDIS_URL": "redis://:a-redis-password@redis.internal:6379/0",
        "DJANGO_TRUSTED_PROXY_COUNT": "1",
        "GAME_CORS_ALLOWED_ORIGINS": "*",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_shared_settings_have_no_development_defaults_for_secrets_hosts_or_database() -> None:
    for missing in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL"):
        given = {
            "DJANGO_READ_DOT_ENV": "0",
            "DJANGO_SECRET_KEY": "k" * 60,
            "DJANGO_ALLOWED_HOSTS": "portal.example.com",
            "DATABASE_URL": "postgres://x@h/db",
        }
        del given[missing]
        result = _settings_value("alienportal.settings.base", "s.DEBUG", given)
        assert result.returncode != 0
        assert missing in result.stderr


def test_production_refuses_debug() -> None:
    env = {
        "DJANGO_READ_DOT_ENV": "0",
        "DJANGO_SECRET_KEY": "k" * 60,
        "DJANGO_ALLOWED_HOSTS": "portal.example.com",
        "DATABASE_URL": "postgres://x@h/db",
        "DJANGO_DEBUG": "true",
    }
    result = _settings_value("alienportal.settings.production", "s.DEBUG", env)
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be false in production" in result.stderr


@pytest.mark.parametrize("module", ["base", "local", "test", "production"])
def test_each_setting_is_assigned_once_and_never_through_globals(module: str) -> None:
    source = (ROOT / "alienportal" / "settings" / f"{module}.py").read_text()
    assert "globals()" not in source
    tree = ast.parse(source)
    assigned = [
        target.id
        for node in tree.body
        for target in (node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)])
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and isinstance(target, ast.Name)
    ]
    settings_names = [name for name in assigned if name.isupper()]
    assert len(settings_names) == len(set(settings_names)), sorted(settings_names)
    # No setting is changed in place after it is defined (`X[...] = ...`, `X += ...`).
    for node in ast.walk(tree):
        if isinstance(node, ast.AugAssign):
            raise AssertionError(f"line {node.lineno}: {ast.unparse(node)}")
        if isinstance(node, ast.Assign):
            for target in node.targets:
                assert not isinstance(target, ast.Subscript), f"line {node.lineno}: {ast.unparse(node)}"


def test_entry_points_default_to_the_development_settings_in_one_place() -> None:
    code = (
        "import os; os.environ.pop('DJANGO_SETTINGS_MODULE', None); "
        "from alienportal.settings import settings_module_default; print(settings_module_default())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.strip() == "alienportal.settings.local", result.stderr
    for entry_point in ("manage.py", "alienportal/wsgi.py", "alienportal/celery.py", "alienportal/devstack/demo.py"):
        source = (ROOT / entry_point).read_text()
        assert "settings_module_default()" in source, entry_point
        assert "alienportal.settings." not in source, entry_point
