"""The deprecated ``netrun_*`` paths serve the new objects and warn from each importing line."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import pkgutil
import sys
import warnings
from collections.abc import Iterator
from types import ModuleType

import pytest

from netrun.core._deprecation import RENAMED, SHIMS, ShimFinder, new_name

# Old module path -> names the seeds import from it (the integration architecture document).
SEED_PATHS = {
    "netrun_errors": ["NetrunException", "ValidationError", "RateLimitExceededError"],
    "netrun_errors.base": ["NetrunException", "ValidationError", "ServiceUnavailableError"],
    "netrun_logging": ["get_logger", "bind_context", "log_operation", "configure_logging"],
    "netrun_config": ["BaseConfig", "Field", "get_settings"],
    "netrun_config.base": ["BaseConfig"],
    "netrun_auth": [
        "JWTManager",
        "get_jwt_manager",
        "AuthConfig",
        "AuthenticationError",
        "TokenExpiredError",
        "TokenInvalidError",
        "RateLimitExceededError",
        "PermissionDeniedError",
    ],
    "netrun_auth.exceptions": [
        "AuthenticationError",
        "TokenExpiredError",
        "TokenInvalidError",
        "RateLimitExceededError",
        "PermissionDeniedError",
    ],
    "netrun_env.validator": ["EnvValidator", "ValidationResult"],
    "netrun_cors.middleware": ["CORSMiddleware"],
    "netrun_db_pool.pool": ["AsyncDatabasePool", "PoolConfig"],
    "netrun_llm.config": ["LLMConfig"],
    "netrun_llm.adapters.azure_openai": ["AzureOpenAIAdapter"],
    "netrun_pytest_fixtures.netrun_integration": [
        "netrun_logging_config",
        "mock_netrun_config",
        "auth_token_factory",
        "rsa_key_pair",
    ],
}
# Where the seeds' names live in netrun (for the identity check).
NEW_HOMES = {
    ("netrun_cors.middleware", "CORSMiddleware"): "netrun.cors",
    ("netrun_db_pool.pool", "PoolConfig"): "netrun.db_pool",
    ("netrun_auth.exceptions", "RateLimitExceededError"): "netrun.errors",
    ("netrun_auth", "RateLimitExceededError"): "netrun.errors",
}


def _forget(prefix: str) -> None:
    for name in [n for n in sys.modules if n == prefix or n.startswith(prefix + ".")]:
        del sys.modules[name]


@pytest.fixture
def fresh_shims() -> Iterator[None]:
    """Each test imports the shims afresh (they warn once per import and per location)."""
    for old in SHIMS:
        _forget(old)
    yield
    for old in SHIMS:
        _forget(old)


def _deprecations(caught: list[warnings.WarningMessage]) -> list[warnings.WarningMessage]:
    return [w for w in caught if issubclass(w.category, DeprecationWarning)]


@pytest.mark.usefixtures("fresh_shims")
@pytest.mark.parametrize("old", sorted(SHIMS))
def test_shim_serves_the_new_package_and_warns_from_the_importing_line(old: str) -> None:
    new = SHIMS[old]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        shim = importlib.import_module(old)
    (warning,) = _deprecations(caught)
    assert f"{old} is deprecated" in str(warning.message)
    assert f"import from {new} instead" in str(warning.message)
    assert warning.filename == __file__  # not importlib, not the shim

    package = importlib.import_module(new)
    assert shim.__all__ == package.__all__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in package.__all__:
            assert getattr(shim, name) is getattr(package, name)


@pytest.mark.usefixtures("fresh_shims")
@pytest.mark.parametrize("old", sorted(SEED_PATHS))
def test_every_seed_path_imports_the_seed_names(old: str) -> None:
    new = new_name(old)
    assert new is not None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
        values = {name: getattr(module, name) for name in SEED_PATHS[old]}
    messages = {str(w.message) for w in _deprecations(caught)}
    assert any(message.startswith(f"{old} is deprecated") for message in messages)
    assert all(w.filename == __file__ for w in _deprecations(caught))
    for name, value in values.items():
        home = importlib.import_module(NEW_HOMES.get((old, name), new))
        assert value is getattr(home, name), f"{old}.{name}"


def _new_modules(package: str) -> Iterator[str]:
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, prefix=package + "."):
        if ".migrations" in info.name or ".management.commands." in info.name:
            continue
        yield info.name


def _importable(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:  # an optional SDK that this environment lacks
        return None


@pytest.mark.usefixtures("fresh_shims")
@pytest.mark.parametrize("old", sorted(SHIMS))
def test_every_new_module_has_its_old_path(old: str) -> None:
    new_package = SHIMS[old]
    checked = 0
    for new in _new_modules(new_package):
        target = _importable(new)
        if target is None:
            continue
        old_path = old + new.removeprefix(new_package)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            alias = importlib.import_module(old_path)
            public = [n for n in getattr(target, "__all__", ()) if hasattr(target, n)]
            for name in public:
                assert getattr(alias, name) is getattr(target, name), f"{old_path}.{name}"
        assert any(
            str(w.message).startswith(f"{old_path} is deprecated") for w in _deprecations(caught)
        )
        checked += 1
    assert checked >= 1


def test_an_old_path_without_a_new_module_is_not_found(fresh_shims: None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ModuleNotFoundError, match=r"netrun_config\.no_such_module"):
            importlib.import_module("netrun_config.no_such_module")
        with pytest.raises(ImportError, match="no_such_name"):
            exec("from netrun_config import no_such_name", {})  # noqa: S102 - the import statement itself is under test


def _import_netrun_config_base_here() -> object:
    from netrun_config import BaseConfig  # line A

    return BaseConfig


def _import_netrun_config_base_there() -> object:
    from netrun_config import BaseConfig  # line B

    return BaseConfig


def _import_submodule_here() -> object:
    from netrun_config import base  # line C

    return base


@pytest.mark.usefixtures("fresh_shims")
def test_each_importing_location_warns_once_under_the_default_filter() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for _ in range(3):
            _import_netrun_config_base_here()
            _import_netrun_config_base_there()
            _import_submodule_here()
            _import_submodule_here()
    lines = sorted((w.lineno, str(w.message).split(" ")[0]) for w in _deprecations(caught))
    source = open(__file__, encoding="utf-8").read().splitlines()  # noqa: SIM115
    by_marker = {
        marker: next(i for i, text in enumerate(source, 1) if f"# {marker}" in text)
        for marker in ("line A", "line B", "line C")
    }
    # The first import warns as it runs the shim, then once per location: no repeats.
    assert (by_marker["line A"], "netrun_config") in lines
    assert (by_marker["line B"], "netrun_config") in lines
    assert (by_marker["line C"], "netrun_config.base") in lines
    assert len(lines) == len(set(lines))


def test_a_cached_shim_still_raises_at_every_location_under_error(fresh_shims: None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        importlib.import_module("netrun_errors")  # cached in sys.modules from here on
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        with pytest.raises(DeprecationWarning, match=r"import from netrun\.errors instead"):
            from netrun_errors import NetrunException  # noqa: F401
        with pytest.raises(DeprecationWarning, match=r"import from netrun\.errors instead"):
            from netrun_errors import ValidationError  # noqa: F401


def test_renamed_seed_paths_name_their_new_module() -> None:
    assert new_name("netrun_errors.base") == "netrun.errors"
    assert new_name("netrun_llm.config") == "netrun.llm.conf"
    assert new_name("netrun_config.base") == "netrun.config.base"
    assert new_name("netrun_unknown.x") is None
    for old, (new, extras) in RENAMED.items():
        assert old.partition(".")[0] in SHIMS
        assert importlib.util.find_spec(new) is not None
        for name, holder in extras.items():
            assert hasattr(importlib.import_module(holder), name)


# Modules that became app internals (_x.py) in 2.1: the old path serves the package's names.
MOVED = {
    "netrun_auth.authenticate": ("netrun.auth._authenticate", ["authenticate_token"]),
    "netrun_cors.sampling": ("netrun.cors._sampling", ["DecisionLogger"]),
    "netrun_env.generate": ("netrun.env._generate", ["generate_example"]),
    "netrun_env.parser": ("netrun.env._parser", ["parse_env_file", "EnvFile"]),
    "netrun_env.report": ("netrun.env._report", ["render_sarif"]),
    "netrun_env.validate": ("netrun.env._validate", ["validate_env", "Finding"]),
}


@pytest.mark.usefixtures("fresh_shims")
@pytest.mark.parametrize("old", sorted(MOVED))
def test_a_module_moved_to_an_internal_keeps_its_old_path(old: str) -> None:
    internal, names = MOVED[old]
    package = new_name(old)
    assert package == internal.rpartition(".")[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
        values = {name: getattr(module, name) for name in names}
    messages = [str(w.message) for w in _deprecations(caught)]
    assert (
        f"{old} is deprecated and will be removed in netrun 3.0; import from {package} instead"
        in messages
    )
    for name, value in values.items():
        assert value is getattr(importlib.import_module(internal), name)
        assert name in importlib.import_module(package).__all__


def test_shim_dir_lists_the_public_names(fresh_shims: None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import netrun_cors.middleware as middleware

    assert {"CORSMiddleware", "CorsMiddleware"} <= set(dir(middleware))
    assert "CORSMiddleware" in middleware.__all__
    with pytest.raises(AttributeError):
        middleware.__wrapped__  # noqa: B018 - dunders are never looked up in the new module


def test_a_shim_keeps_attributes_set_on_it_and_the_finder_ignores_others(
    fresh_shims: None,
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shim = importlib.import_module("netrun_auth")
    shim.patched = "value"  # mock.patch("netrun_auth.x") style
    assert shim.patched == "value"
    finder = ShimFinder()
    assert finder.find_spec("netrun_auth") is None  # the top level is the compat file
    assert finder.find_spec("requests.adapters") is None
    assert finder.find_spec("netrun_config.base.deeper") is None  # base is a module


class _WrappingLoader(importlib.abc.Loader):
    """A loader of its own around the real one, as pytest's assertion rewriter is for the
    top-level modules of a distribution that ships a pytest plugin (netrun does)."""

    def __init__(self, inner: importlib.abc.Loader) -> None:
        self.inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.inner.exec_module(module)  # the shim's code runs, and warns, from here


class _WrappingFinder(importlib.abc.MetaPathFinder):
    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        others = [finder for finder in sys.meta_path if finder is not self]
        for finder in others:
            spec = finder.find_spec(fullname, path, target)  # type: ignore[arg-type]
            if spec is not None and spec.loader is not None:
                spec.loader = _WrappingLoader(spec.loader)
                return spec
        return None


@pytest.mark.usefixtures("fresh_shims")
def test_a_shim_loaded_by_another_loader_still_warns_from_the_importing_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "meta_path", [_WrappingFinder("netrun_auth"), *sys.meta_path])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = sys._getframe().f_lineno + 1
        importlib.import_module("netrun_auth")
    (warning,) = _deprecations(caught)
    assert isinstance(sys.modules["netrun_auth"].__spec__.loader, _WrappingLoader)
    assert (warning.filename, warning.lineno) == (__file__, line)
