"""A settings module that logs to stdout while it is imported (as project modules do)."""

from __future__ import annotations

import sys

from netrun.config import BaseConfig, Field, NetrunConfigDict
from netrun.logging import configure_logging, get_logger

configure_logging(log_level="DEBUG", stream=sys.stdout)
get_logger(__name__).info("schema_module_imported")


class NoisyConfig(BaseConfig):
    model_config = NetrunConfigDict(env_prefix="NOISY_")

    token: str = Field(description="Anything.")


NoisyConfig(token="built-at-import")  # config_loaded (DEBUG)
