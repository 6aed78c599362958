"""Settings from files (docker secrets): `<NAME>_FILE` for any setting, the database password kept out
of DATABASE_URL, a file that cannot be read named in one line."""

from __future__ import annotations

import pytest
from pydantic_settings import SettingsError
from sqlalchemy.engine import make_url

from servicekit.settings import ServiceSettings


def test_a_setting_is_read_from_the_file_its_FILE_variable_names(tmp_path, monkeypatch):
    (tmp_path / "level").write_text("DEBUG\n")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///var/x.db")
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    monkeypatch.setenv("LOG_LEVEL_FILE", str(tmp_path / "level"))
    assert ServiceSettings().log_level == "DEBUG"  # the file wins, without its newline


def test_the_database_password_goes_into_the_url_from_its_secret_file(tmp_path, monkeypatch):
    (tmp_path / "pg").write_text("p@ss:w/rd\n")
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@postgres:5432/plans")
    monkeypatch.setenv("DATABASE_PASSWORD_FILE", str(tmp_path / "pg"))
    url = make_url(ServiceSettings().database_url)
    assert (url.drivername, url.username, url.password, url.host, url.database) == (
        "postgresql+asyncpg", "postgres", "p@ss:w/rd", "postgres", "plans")


def test_a_path_setting_of_its_own_is_not_read_as_a_secret(tmp_path, monkeypatch):
    (tmp_path / "key.pem").write_text("PEM")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///var/x.db")
    monkeypatch.setenv("JWT_PUBLIC_KEY_FILE", str(tmp_path / "key.pem"))
    settings = ServiceSettings()
    assert settings.jwt_public_key is None and settings.public_key_pem() == "PEM"


def test_a_secret_file_that_cannot_be_read_is_named(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@postgres:5432/plans")
    monkeypatch.setenv("DATABASE_PASSWORD_FILE", "/run/secrets/missing")
    with pytest.raises(SettingsError, match="DATABASE_PASSWORD_FILE: cannot read /run/secrets/missing"):
        ServiceSettings()
