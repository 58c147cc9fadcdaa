"""BaseConfig: base fields, source precedence, validation errors, dump."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from netrun.config import BaseConfig, Field, NetrunConfigDict, Source
from netrun.errors import ValidationError
from netrun.logging.testing import capture_logs
from tests.config.fakes import FakeSecretClient
from tests.config.shop import ShopConfig, VaultConfig


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------- base fields


def test_base_fields_have_development_defaults() -> None:
    config = BaseConfig()
    assert (config.app_name, config.app_environment, config.app_debug, config.log_level) == (
        "netrun",
        "development",
        False,
        "INFO",
    )
    assert config.is_development
    assert not config.is_production
    assert not config.is_testing
    assert not config.is_staging


@pytest.mark.parametrize(
    ("value", "flag"),
    [
        ("production", "is_production"),
        ("Staging", "is_staging"),
        (" TESTING ", "is_testing"),
        ("development", "is_development"),
    ],
)
def test_environment_flags_follow_app_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, flag: str
) -> None:
    monkeypatch.setenv("APP_ENVIRONMENT", value)
    config = BaseConfig()
    assert getattr(config, flag) is True
    assert config.app_environment == value.strip().lower()


def test_log_level_is_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "debug")
    assert BaseConfig().log_level == "DEBUG"


def test_field_env_keyword_names_the_variable_without_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOP_PRESET_NAME", "OAuth")
    monkeypatch.setenv("SHOP_PRESET", "production")  # the prefix-derived name is not used
    assert ShopConfig().preset == "oauth"


def test_field_names_derive_env_and_django_names() -> None:
    names = ShopConfig.variable_names()
    assert names["max_age"].env == "SHOP_MAX_AGE"
    assert names["max_age"].django_setting == "NETRUN_SHOP_MAX_AGE"
    assert names["preset"].env == "SHOP_PRESET_NAME"
    assert names["preset"].django_setting == "NETRUN_SHOP_PRESET_NAME"
    assert names["app_name"].django_setting == "NETRUN_APP_NAME"
    assert names["api_key"].key_vault == "shop-api-key"
    assert VaultConfig.variable_names()["openai_key"].key_vault == "openai-api-key"


def test_class_without_django_prefix_reads_no_django_settings_of_its_own(
    settings: Any,
) -> None:
    class Plain(BaseConfig):
        model_config = NetrunConfigDict(env_prefix="SHOP_")
        max_age: int = 1

    settings.NETRUN_SHOP_MAX_AGE = 99
    assert Plain.variable_names()["max_age"].django_setting is None
    assert Plain().max_age == 1


# ---------------------------------------------------------------------- precedence


@pytest.fixture
def every_source(
    monkeypatch: pytest.MonkeyPatch, settings: Any, clean_config: Path
) -> dict[str, Any]:
    """max_age set in every source: explicit 10, Django 20, env 30, .env 40, secrets 50."""
    settings.NETRUN_SHOP_MAX_AGE = 20
    monkeypatch.setenv("SHOP_MAX_AGE", "30")
    write(clean_config / ".env", "SHOP_MAX_AGE=40\n")
    secrets = clean_config / "secrets"
    write(secrets / "SHOP_MAX_AGE", "50\n")
    return {"settings": settings, "monkeypatch": monkeypatch, "root": clean_config}


def _drop(layer: str, ctx: dict[str, Any]) -> None:
    if layer == "django":
        del ctx["settings"].NETRUN_SHOP_MAX_AGE
    elif layer == "environment":
        ctx["monkeypatch"].delenv("SHOP_MAX_AGE")
    elif layer == "dotenv":
        (ctx["root"] / ".env").unlink()
    elif layer == "secrets":
        (ctx["root"] / "secrets" / "SHOP_MAX_AGE").unlink()


@pytest.mark.parametrize(
    ("dropped", "expected", "source"),
    [
        ((), 10, Source.EXPLICIT),
        (("explicit",), 20, Source.DJANGO),
        (("explicit", "django"), 30, Source.ENVIRONMENT),
        (("explicit", "django", "environment"), 40, Source.DOTENV),
        (("explicit", "django", "environment", "dotenv"), 50, Source.SECRETS),
        (("explicit", "django", "environment", "dotenv", "secrets"), 3600, Source.DEFAULT),
    ],
)
def test_each_source_beats_the_next(
    every_source: dict[str, Any], dropped: tuple[str, ...], expected: int, source: Source
) -> None:
    for layer in dropped:
        _drop(layer, every_source)
    kwargs: dict[str, Any] = {"_secrets_dir": every_source["root"] / "secrets"}
    if "explicit" not in dropped:
        kwargs["max_age"] = 10
    config = ShopConfig(**kwargs)
    assert config.max_age == expected
    assert config.value_sources()["max_age"].source is source


def test_secret_file_beats_key_vault_which_beats_the_default(clean_config: Path) -> None:
    vault = FakeSecretClient({"shop-api-key": "from-the-vault-0123456789"})
    secrets = clean_config / "secrets"
    write(secrets / "shop_api_key", "from-a-file-0123456789\n")

    from_file = ShopConfig(_key_vault=vault, _secrets_dir=secrets)
    assert from_file.api_key is not None
    assert from_file.api_key.get_secret_value() == "from-a-file-0123456789"
    assert from_file.value_sources()["api_key"].source is Source.SECRETS

    from_vault = ShopConfig(_key_vault=vault)
    assert from_vault.api_key is not None
    assert from_vault.api_key.get_secret_value() == "from-the-vault-0123456789"
    assert from_vault.value_sources()["api_key"].source is Source.KEY_VAULT

    without = ShopConfig(_key_vault=FakeSecretClient({}))
    assert without.api_key is None
    assert without.value_sources()["api_key"].source is Source.DEFAULT


def test_file_variable_points_at_a_secret_file(
    monkeypatch: pytest.MonkeyPatch, clean_config: Path
) -> None:
    secret = write(clean_config / "mounted" / "key", "s3cr3t-$with-dollar\r\n")
    monkeypatch.setenv("SHOP_API_KEY_FILE", str(secret))
    config = ShopConfig()
    assert config.api_key is not None
    assert config.api_key.get_secret_value() == "s3cr3t-$with-dollar"
    assert config.value_sources()["api_key"].location == str(secret)


def test_file_variable_in_dotenv_is_honoured(clean_config: Path) -> None:
    secret = write(clean_config / "key.txt", "from-file")
    write(clean_config / ".env", f"SHOP_API_KEY_FILE={secret}\n")
    config = ShopConfig()
    assert config.api_key is not None
    assert config.api_key.get_secret_value() == "from-file"


def test_environment_variable_beats_its_file_variable(
    monkeypatch: pytest.MonkeyPatch, clean_config: Path
) -> None:
    secret = write(clean_config / "key", "from-file")
    monkeypatch.setenv("SHOP_API_KEY_FILE", str(secret))
    monkeypatch.setenv("SHOP_API_KEY", "from-env")
    config = ShopConfig()
    assert config.api_key is not None
    assert config.api_key.get_secret_value() == "from-env"


def test_dotenv_quoting_export_multiline_dollar_and_bom(clean_config: Path) -> None:
    (clean_config / ".env").write_bytes(
        "\ufeffexport SHOP_API_KEY='pa$$word$HOME'\n"
        'SHOP_ORIGINS="https://a.example, https://b.example"\n'
        'APP_NAME="multi\nline"\n'.encode()
    )
    config = ShopConfig()
    assert config.api_key is not None
    assert config.api_key.get_secret_value() == "pa$$word$HOME"
    assert config.origins == ["https://a.example", "https://b.example"]
    assert config.app_name == "multi\nline"


def test_explicit_env_file_argument(clean_config: Path) -> None:
    other = write(clean_config / "deploy.env", "SHOP_MAX_AGE=7\n")
    assert ShopConfig(_env_file=other).max_age == 7
    write(clean_config / ".env", "SHOP_MAX_AGE=8\n")
    assert ShopConfig(_env_file=None).max_age == 3600


def test_list_fields_accept_json_and_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_ORIGINS", '["https://a.example"]')
    assert ShopConfig().origins == ["https://a.example"]
    monkeypatch.setenv("SHOP_ORIGINS", "a, ,b")
    assert ShopConfig().origins == ["a", "b"]


def test_empty_value_for_optional_field_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "")
    assert ShopConfig().api_key is None


def test_django_settings_pass_python_objects(settings: Any) -> None:
    settings.NETRUN_SHOP_ORIGINS = ["https://django.example"]
    settings.NETRUN_APP_ENVIRONMENT = "production"
    config = ShopConfig()
    assert config.origins == ["https://django.example"]
    assert config.is_production
    assert str(config.value_sources()["origins"]) == "Django setting NETRUN_SHOP_ORIGINS"


# ---------------------------------------------------------------------- validation errors


def _errors(error: ValidationError) -> dict[str, dict[str, Any]]:
    return {entry["variable"]: entry for entry in error.details["errors"]}


def test_every_bad_field_is_reported_not_only_the_first(
    monkeypatch: pytest.MonkeyPatch, clean_config: Path
) -> None:
    monkeypatch.setenv("SHOP_MAX_AGE", "90000")
    monkeypatch.setenv("SHOP_MODE", "reckless")
    write(clean_config / ".env", "SHOP_PRESET_NAME=sideways\n")
    with pytest.raises(ValidationError) as caught:
        ShopConfig()
    errors = _errors(caught.value)
    assert set(errors) == {"SHOP_MAX_AGE", "SHOP_MODE", "SHOP_PRESET_NAME"}
    assert caught.value.status_code == 400
    assert caught.value.message.startswith("ShopConfig has 3 invalid setting(s): ")
    assert errors["SHOP_MAX_AGE"]["message"] == (
        "Input should be less than or equal to 86400 (from environment variable SHOP_MAX_AGE)"
    )
    assert errors["SHOP_MODE"]["message"] == (
        "Input should be 'fast' or 'safe' (from environment variable SHOP_MODE)"
    )
    assert errors["SHOP_PRESET_NAME"]["message"] == (
        "Value error, unknown preset 'sideways' "
        f"(from dotenv file SHOP_PRESET_NAME in {Path('.env')})"
    )
    assert errors["SHOP_PRESET_NAME"]["source"] == "dotenv"
    assert errors["SHOP_MAX_AGE"]["django_setting"] == "NETRUN_SHOP_MAX_AGE"


def test_missing_required_field_names_variable_and_django_setting() -> None:
    with pytest.raises(ValidationError) as caught:
        VaultConfig()
    assert _errors(caught.value)["SHOP_DB_PASSWORD"]["message"] == (
        "required, not set (set environment variable SHOP_DB_PASSWORD "
        "or Django setting NETRUN_SHOP_DB_PASSWORD)"
    )


def test_error_in_a_list_item_names_the_position(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_ORIGINS", '["ok", 5]')
    with pytest.raises(ValidationError) as caught:
        ShopConfig()
    assert _errors(caught.value)["SHOP_ORIGINS"]["message"] == (
        "Input should be a valid string (at 1) (from environment variable SHOP_ORIGINS)"
    )


def test_file_variable_naming_a_missing_file_is_an_error(
    monkeypatch: pytest.MonkeyPatch, clean_config: Path
) -> None:
    monkeypatch.setenv("SHOP_API_KEY_FILE", str(clean_config / "nope"))
    with pytest.raises(ValidationError) as caught:
        ShopConfig()
    message = _errors(caught.value)["SHOP_API_KEY"]["message"]
    assert message.startswith("SHOP_API_KEY_FILE names ")
    assert "which is not a readable file" in message


def test_values_never_appear_in_errors_or_their_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_MAX_AGE", "hunter2-top-secret")
    with pytest.raises(ValidationError) as caught:
        ShopConfig()
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in json.dumps(caught.value.details)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ is True


def test_load_and_failure_are_logged_without_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "sk-live-abcdefghijklmnop")
    with capture_logs() as events:
        ShopConfig()
        monkeypatch.setenv("SHOP_MAX_AGE", "-1")
        with pytest.raises(ValidationError):
            ShopConfig()
    loaded = next(e for e in events if e["event"] == "config_loaded")
    assert loaded["config"] == "ShopConfig"
    assert loaded["sources"]["environment"] == 1
    failed = next(e for e in events if e["event"] == "config_validation_failed")
    assert failed["errors"] == [
        {"field": "max_age", "variable": "SHOP_MAX_AGE", "source": "environment"}
    ]
    assert "sk-live" not in repr(events)


# ---------------------------------------------------------------------- dump


def test_dump_shows_effective_values_and_sources_with_secrets_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "sk-live-abcdefghijklmnop")
    monkeypatch.setenv("SHOP_MAX_AGE", "60")
    config = ShopConfig(app_name="shop")
    text = config.dump()
    assert "sk-live" not in text
    lines = {line.split()[0]: line for line in text.splitlines()[2:]}
    assert "'**********'" in lines["api_key"]
    assert lines["api_key"].endswith("environment variable SHOP_API_KEY")
    assert lines["max_age"].split()[1] == "60"
    assert lines["app_name"].endswith("argument app_name")
    assert lines["mode"].endswith("default")
    assert "sk-live-abcdefghijklmnop" in config.dump(redacted=False)


def test_describe_masks_sensitive_names_and_url_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Service(BaseConfig):
        model_config = NetrunConfigDict(env_prefix="SHOP_")
        auth_token: str = "plain-but-sensitive"
        database_url: str = "postgresql://app:hunter2@db/app"
        password_hint: SecretStr | None = None

    rows = {row.field: row for row in Service().describe()}
    assert rows["auth_token"].value == "**********"
    assert rows["auth_token"].secret is True
    assert "hunter2" not in rows["database_url"].value
    assert rows["password_hint"].value is None
    assert Service().redacted_values()["auth_token"] == "**********"


def test_env_schema_describes_each_variable() -> None:
    schema = {item["name"]: item for item in VaultConfig.env_schema()}
    assert schema["SHOP_DB_PASSWORD"] == {
        "field": "db_password",
        "name": "SHOP_DB_PASSWORD",
        "kind": "str",
        "required": True,
        "default": None,
        "description": "",
        "secret": True,
        "choices": [],
        "nullable": False,
    }
    shop = {item["name"]: item for item in ShopConfig.env_schema()}
    assert shop["SHOP_MAX_AGE"]["kind"] == "int"
    assert shop["SHOP_MAX_AGE"]["default"] == 3600
    assert shop["SHOP_MAX_AGE"]["description"] == "Cache lifetime in seconds."
    assert shop["SHOP_MODE"]["kind"] == "enum"
    assert shop["SHOP_MODE"]["choices"] == ["fast", "safe"]
    assert shop["SHOP_ORIGINS"]["kind"] == "list"
    assert shop["SHOP_ADMIN_EMAIL"]["kind"] == "email"
    assert shop["APP_DEBUG"]["kind"] == "bool"


def test_field_passes_pydantic_keywords_through() -> None:
    class Limits(BaseConfig):
        ratio: float = Field(0.5, ge=0, le=1, description="A ratio.")

    info = Limits.model_fields["ratio"]
    assert info.description == "A ratio."
    with pytest.raises(ValidationError):
        Limits(ratio=2)
