"""A package-style settings class the config tests use, as a later package's conf.py would."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr

from netrun.config import BaseConfig, Field, NetrunConfigDict, app_settings, field_validator


class ShopConfig(BaseConfig):
    model_config = NetrunConfigDict(env_prefix="SHOP_", django_prefix="NETRUN_SHOP_")

    max_age: int = Field(3600, ge=0, le=86400, description="Cache lifetime in seconds.")
    preset: str = Field("development", env="SHOP_PRESET_NAME")
    mode: Literal["fast", "safe"] = "safe"
    origins: list[str] = Field(default_factory=list)
    api_key: SecretStr | None = None
    admin_email: str = Field("ops@example.com", kind="email")

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, value: str) -> str:
        if value.lower() not in {"development", "production", "oauth"}:
            raise ValueError(f"unknown preset {value!r}")
        return value.lower()


class VaultConfig(BaseConfig):
    model_config = NetrunConfigDict(env_prefix="SHOP_", django_prefix="NETRUN_SHOP_")

    db_password: SecretStr
    openai_key: SecretStr | None = Field(None, key_vault="openai-api-key")


conf = app_settings(ShopConfig)
