"""The deprecated ``netrun_*`` modules re-export the new packages and warn once."""

from __future__ import annotations

import importlib
import sys
import warnings

import pytest

OLD_NAMES = (
    "auth", "config", "errors", "logging", "db_pool",
    "cors", "env", "oauth", "ratelimit", "pytest_fixtures",
)  # fmt: skip


@pytest.mark.parametrize("short", OLD_NAMES)
def test_shim_re_exports_the_public_api_and_warns_once(short: str) -> None:
    old, new = f"netrun_{short}", f"netrun.{short}"
    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        shim = importlib.import_module(old)
        importlib.import_module(old)  # cached: no second warning
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(deprecations) == 1
    message = str(deprecations[0].message)
    assert f"{old} is deprecated" in message
    assert f"import from {new} instead" in message
    # Attributed to the importing line (this file), not to importlib or the shim.
    assert deprecations[0].filename == __file__

    package = importlib.import_module(new)
    assert shim.__all__ == package.__all__
    for name in package.__all__:
        assert getattr(shim, name) is getattr(package, name)


def test_shim_warning_is_an_error_under_a_strict_filter() -> None:
    sys.modules.pop("netrun_config", None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        with pytest.raises(DeprecationWarning, match=r"netrun\.config"):
            importlib.import_module("netrun_config")
    sys.modules.pop("netrun_config", None)
