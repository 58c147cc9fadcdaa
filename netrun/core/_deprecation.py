"""The deprecated ``netrun_<pkg>`` import paths of Netrun v1/v2, served from ``netrun.<pkg>``.

Each ``compat/netrun_<pkg>.py`` calls :func:`shim`, which turns it into a package whose
attributes are read from ``netrun.<pkg>`` on access, and installs :class:`ShimFinder`, which
answers every ``netrun_<pkg>.<module>`` whose ``netrun.<pkg>.<module>`` exists (or whose
seed path is renamed in :data:`RENAMED`). So one mechanism covers every old path, and the
objects are the new modules' own (``netrun_auth.JWTManager is netrun.auth.JWTManager``).

Warnings follow the standard semantics: importing a shim warns once, attributed to the
importing line; every later ``from netrun_x import name`` (and ``netrun_x.name``) warns
again from its own line, because names are never cached in the shim. So each importing
location warns once under the default filters, and ``-W error::DeprecationWarning`` stops at
every old import, not only the first one in the process.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from types import FrameType, ModuleType
from typing import Any

__all__ = ["RENAMED", "SHIMS", "ShimFinder", "deprecated_aliases", "new_name", "shim"]

#: The deprecated top-level modules and the packages they became.
SHIMS: dict[str, str] = {
    "netrun_auth": "netrun.auth",
    "netrun_config": "netrun.config",
    "netrun_cors": "netrun.cors",
    "netrun_db_pool": "netrun.db_pool",
    "netrun_env": "netrun.env",
    "netrun_errors": "netrun.errors",
    "netrun_llm": "netrun.llm",
    "netrun_logging": "netrun.logging",
    "netrun_oauth": "netrun.oauth",
    "netrun_pytest_fixtures": "netrun.pytest_fixtures",
    "netrun_ratelimit": "netrun.ratelimit",
}

#: Seed module paths whose module has another name in ``netrun.*``, and names the old module
#: had that live elsewhere now: ``old path -> (new module, {name: module holding it})``.
RENAMED: dict[str, tuple[str, dict[str, str]]] = {
    "netrun_errors.base": ("netrun.errors", {}),
    "netrun_llm.config": ("netrun.llm.conf", {}),
    "netrun_pytest_fixtures.netrun_integration": ("netrun.pytest_fixtures.plugin", {}),
    # The seeds' ASGI middleware was netrun_cors.middleware.CORSMiddleware; netrun's
    # middleware module is the Django one, so the ASGI class is added to it.
    "netrun_cors.middleware": ("netrun.cors.middleware", {"CORSMiddleware": "netrun.cors.asgi"}),
    "netrun_db_pool.pool": ("netrun.db_pool.pool", {"PoolConfig": "netrun.db_pool.conf"}),
    "netrun_auth.exceptions": (
        "netrun.auth.exceptions",
        {"RateLimitExceededError": "netrun.errors", "NetrunException": "netrun.errors"},
    ),
    # Modules that became internals (``_x.py``) in 2.1: their public names are the package's.
    "netrun_auth.authenticate": ("netrun.auth", {}),
    "netrun_cors.sampling": ("netrun.cors", {}),
    "netrun_env.generate": ("netrun.env", {}),
    "netrun_env.parser": ("netrun.env", {}),
    "netrun_env.report": ("netrun.env", {}),
    "netrun_env.validate": ("netrun.env", {}),
}

# Frames that are not the importer: the import system, this module and the shim files.
_IMPORT_MACHINERY = ("<frozen importlib", "importlib/__init__.py", "importlib\\__init__.py")
# A loader's own methods (PEP 451), wherever it lives: pytest loads the top-level modules of a
# distribution that ships a pytest plugin (netrun does) through its assertion rewriter.
_LOADER_METHODS = frozenset({"exec_module", "load_module", "create_module"})


def new_name(old: str) -> str | None:
    """The ``netrun.*`` module for the deprecated path ``old``, or ``None`` when there is none."""
    if old in RENAMED:
        return RENAMED[old][0]
    top, _, rest = old.partition(".")
    if top not in SHIMS:
        return None
    return SHIMS[top] + ("." + rest if rest else "")


def _message(old: str, new: str, removed_in: str = "3.0") -> str:
    return (
        f"{old} is deprecated and will be removed in netrun {removed_in}; import from {new} instead"
    )


def _importer() -> FrameType | None:
    """The first frame outside the import system, this module and the compat shims."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        name = frame.f_globals.get("__name__", "")
        machinery = frame.f_code.co_name in _LOADER_METHODS or any(
            marker in filename for marker in _IMPORT_MACHINERY
        )
        if not (machinery or filename == __file__ or name.partition(".")[0] in SHIMS):
            return frame
        frame = frame.f_back
    return None  # pragma: no cover - imported with no Python frame above (embedding)


def _warn(message: str) -> None:
    """Warn ``message`` as a ``DeprecationWarning`` from the importing line.

    ``warn_explicit`` with the importer's registry gives the standard once-per-location
    semantics; ``stacklevel`` cannot, because the number of import-system frames between
    the importer and a shim differs between Python versions (3.12 changed it).
    """
    frame = _importer()
    if frame is None:  # pragma: no cover - see _importer
        warnings.warn(message, DeprecationWarning, stacklevel=2)
        return
    module_globals = frame.f_globals
    warnings.warn_explicit(
        message,
        DeprecationWarning,
        filename=frame.f_code.co_filename,
        lineno=frame.f_lineno,
        module=module_globals.get("__name__", "<unknown>"),
        registry=module_globals.setdefault("__warningregistry__", {}),
        # No module_globals: for a script, Python 3.12+ then warns that __main__ has no
        # __spec__.loader, and that warning (not ours) is what -W error would raise.
    )


class _ShimModule(ModuleType):
    """A shim: submodules are not kept as attributes, so each access goes to ``__getattr__``."""

    def __setattr__(self, name: str, value: Any) -> None:
        # The import system binds ``netrun_x.sub`` on ``netrun_x`` after loading it; kept,
        # ``from netrun_x import sub`` at a second location would not warn.
        if isinstance(value, ModuleType) and value.__name__ == f"{self.__name__}.{name}":
            return
        super().__setattr__(name, value)


def _configure(module: ModuleType, new: str, extras: dict[str, str], package: bool) -> None:
    """Make ``module`` serve ``new``'s names (and ``extras``) on every attribute access."""
    old = module.__name__
    target = importlib.import_module(new)
    public: Sequence[str] = (
        list(target.__all__)
        if hasattr(target, "__all__")
        else [name for name in vars(target) if not name.startswith("_")]
    )
    message = _message(old, new)

    def __getattr__(name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        submodule = sys.modules.get(f"{old}.{name}") if package else None
        if submodule is not None:
            _warn(_message(submodule.__name__, getattr(submodule, "__deprecated_for__", new)))
            return submodule
        holder = extras.get(name)
        value = getattr(importlib.import_module(holder) if holder else target, name, _MISSING)
        if value is _MISSING:
            # For ``from netrun_x import sub`` the import system then imports netrun_x.sub,
            # which the finder answers when netrun.x.sub exists.
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        if package and isinstance(value, ModuleType) and value.__name__ == f"{new}.{name}":
            return importlib.import_module(f"{old}.{name}")  # the shim warns as it loads
        _warn(message)
        return value

    def __dir__() -> list[str]:
        return sorted({*public, *extras, *vars(module)})

    namespace = vars(module)
    for name in [n for n in namespace if not (n.startswith("__") and n.endswith("__"))]:
        del namespace[name]  # the shim file's own imports are not part of the old API
    namespace.update(
        __getattr__=__getattr__,
        __dir__=__dir__,
        __all__=[*public, *(name for name in extras if name not in public)],
        __deprecated_for__=new,
    )
    if package:
        namespace["__path__"] = []
        module.__class__ = _ShimModule


_MISSING = object()


class _ShimLoader(importlib.abc.Loader):
    def __init__(self, new: str, extras: dict[str, str], package: bool) -> None:
        self.new, self.extras, self.package = new, extras, package

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # the default module

    def exec_module(self, module: ModuleType) -> None:
        _configure(module, self.new, self.extras, self.package)
        _warn(_message(module.__name__, self.new))


class ShimFinder(importlib.abc.MetaPathFinder):
    """Finds ``netrun_<pkg>.<module>`` for every ``netrun.<pkg>.<module>`` that exists."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if "." not in fullname or fullname.partition(".")[0] not in SHIMS:
            return None
        new = new_name(fullname)
        if new is None or new.partition(".")[0] != "netrun":  # pragma: no cover - by SHIMS
            return None
        try:
            spec = importlib.util.find_spec(new)
        except ImportError:  # a parent that is a module, not a package
            return None
        if spec is None:
            return None
        extras = RENAMED[fullname][1] if fullname in RENAMED else {}
        package = fullname not in RENAMED and spec.submodule_search_locations is not None
        loader = _ShimLoader(new, extras, package)
        return importlib.machinery.ModuleSpec(fullname, loader, is_package=package)


def _install_finder() -> None:
    if not any(isinstance(finder, ShimFinder) for finder in sys.meta_path):
        sys.meta_path.append(ShimFinder())


def shim(old: str) -> None:
    """Turn the executing compat module ``old`` into the deprecated alias of its new package.

    Called at the top level of ``compat/netrun_<pkg>.py``; warns from the importing line.
    """
    new = SHIMS[old]
    _install_finder()
    _configure(sys.modules[old], new, {}, package=True)
    _warn(_message(old, new))


def deprecated_aliases(
    module: str, aliases: Mapping[str, str], *, removed_in: str = "3.0"
) -> Callable[[str], Any]:
    """A module ``__getattr__`` that serves each renamed name of ``module`` under its old name.

    ``aliases`` maps old name -> new name (an attribute of the same module). Each access warns
    with a ``DeprecationWarning`` from the importing line, like the ``netrun_<pkg>`` shims.
    In the module, under ``if not TYPE_CHECKING:`` (type checkers see plain aliases instead)::

        __getattr__ = deprecated_aliases(__name__, {"BudgetExhausted": "ReservationRefused"})
    """

    def __getattr__(name: str) -> Any:
        new = aliases.get(name)
        if new is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        _warn(
            f"{module}.{name} is deprecated and will be removed in netrun {removed_in}; "
            f"use {module}.{new} instead"
        )
        return getattr(sys.modules[module], new)

    return __getattr__
