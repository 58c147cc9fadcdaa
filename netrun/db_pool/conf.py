"""Settings of ``netrun.db_pool``: :class:`PoolConfig`, read from ``DB_*`` variables.

Each field is read from (highest first) an explicit argument, the flat Django setting
``NETRUN_DB_POOL_<NAME>``, the environment variable ``DB_<NAME>``, ``.env``, the default:

* ``DB_URL``: ``postgresql://user:password@host:5432/db`` (a secret); unset: no pool.
* ``DB_MIN_SIZE`` / ``DB_MAX_SIZE``: connections kept open / the ceiling; ``2`` / ``10``.
* ``DB_TIMEOUT``: seconds a borrower waits for a connection; ``30``.
* ``DB_CONNECT_TIMEOUT``: seconds for one connection attempt; ``10``.
* ``DB_MAX_LIFETIME``: seconds before a connection is replaced; ``3600``.
* ``DB_MAX_IDLE``: seconds an idle connection above ``min_size`` is kept; ``600``.
* ``DB_RECONNECT_TIMEOUT``: seconds the pool retries connecting before giving up; ``300``.
* ``DB_MAX_WAITING``: borrowers allowed to queue, ``0`` for no limit; ``0``.
* ``DB_POOL_NAME``: the pool's name in logs and metrics; ``"netrun"``.

Framework-neutral: no Django import.
"""

from __future__ import annotations

from typing import Any, ClassVar

from netrun.config import (
    BaseConfig,
    Field,
    NetrunConfigDict,
    SecretStr,
    app_settings,
    field_validator,
    model_validator,
)

__all__ = ["PoolConfig", "conf"]


class PoolConfig(BaseConfig):
    """Connection pool configuration (the seeds' ``PoolConfig``)."""

    model_config = NetrunConfigDict(env_prefix="DB_", django_prefix="NETRUN_DB_POOL_")
    # The seeds' argument names: PoolConfig(database_url=..., pool_size=...).
    renamed_fields: ClassVar[dict[str, str]] = {"database_url": "url", "pool_size": "max_size"}

    url: SecretStr | None = Field(None, description="PostgreSQL URL or libpq connection string.")
    min_size: int = Field(2, ge=0, description="Connections kept open.")
    max_size: int = Field(10, ge=1, description="Most connections open at once.")
    timeout: float = Field(30.0, gt=0, description="Seconds a borrower waits for a connection.")
    connect_timeout: float = Field(10.0, gt=0, description="Seconds per connection attempt.")
    max_lifetime: float = Field(
        3600.0, gt=0, description="Seconds before a connection is replaced."
    )
    max_idle: float = Field(600.0, gt=0, description="Seconds an extra idle connection is kept.")
    reconnect_timeout: float = Field(
        300.0, gt=0, description="Seconds the pool keeps retrying to connect."
    )
    max_waiting: int = Field(0, ge=0, description="Borrowers allowed to queue (0: no limit).")
    pool_name: str = Field("netrun", min_length=1, description="Pool name in logs and metrics.")

    @field_validator("url", mode="before")
    @classmethod
    def _empty_url_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _sizes(self) -> PoolConfig:
        if self.max_size < self.min_size:
            raise ValueError(f"max_size ({self.max_size}) is below min_size ({self.min_size})")
        return self

    def url_value(self) -> str | None:
        """The URL in clear, for the driver only: never log it (use ``redacted_url``)."""
        return None if self.url is None else self.url.get_secret_value()

    @property
    def database_url(self) -> str | None:
        """The seeds' name for :meth:`url_value` (in clear: never log it)."""
        return self.url_value()

    @property
    def pool_size(self) -> int:
        """The seeds' name for ``max_size``."""
        return self.max_size

    @property
    def redacted_url(self) -> str:
        from netrun.db_pool._redact import redact_url

        return redact_url(self.url_value())


conf = app_settings(PoolConfig)
