"""Settings classes the netrun-env tests load by dotted path (``tests.env.schemas:ApiConfig``)."""

from __future__ import annotations

from typing import Literal

from pydantic import AnyUrl, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from netrun.config import BaseConfig, Field, NetrunConfigDict


class ApiConfig(BaseConfig):
    model_config = NetrunConfigDict(env_prefix="API_")

    secret_key: SecretStr = Field(description="Signs sessions.")
    workers: int = Field(4, ge=1, description="Worker processes.")
    ratio: float = 0.5
    webhook_url: AnyUrl | None = None
    admin_email: str = Field("ops@example.com", kind="email")
    features: dict[str, bool] = Field(default_factory=dict)
    mode: Literal["fast", "safe"] = "safe"
    openai_key: SecretStr | None = None


class PlainSettings(BaseSettings):
    """A plain pydantic-settings class, without netrun's env_schema()."""

    model_config = SettingsConfigDict(env_prefix="PLAIN_")

    token: SecretStr
    port: int = 8000
    debug: bool | None = None


NOT_A_CLASS = 42
