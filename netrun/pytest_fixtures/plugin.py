"""The Netrun pytest plugin, loaded through the ``pytest11`` entry point.

Safe to auto-load in any project: no autouse fixtures, every fixture named ``netrun_*`` (plus
the seeds' names ``rsa_key_pair``, ``auth_token_factory``, ``netrun_logging_config`` and
``mock_netrun_config``), and nothing imported at load time beyond pytest: Netrun and Django
modules are imported inside the fixtures, so loading the plugin never configures anything
(and coverage, which starts after entry-point plugins load, still sees those modules imported).

Fixtures that touch the database request pytest-django's ``db`` fixture as a parameter
(pytest-django sets up only the databases that the collected tests' fixtures name, so asking
for it at run time would be too late). The
documentation with an example per fixture is ``docs/apps/pytest_fixtures.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    from netrun.auth import JWTManager
    from netrun.config import BaseConfig
    from netrun.llm.testing import StubLLMServer
    from netrun.pytest_fixtures.clients import Identity, NetrunAPIClient, NetrunClient
    from netrun.pytest_fixtures.fakes import FakeKeyVault, TelemetryCapture
    from netrun.pytest_fixtures.keys import KeyPair
    from netrun.pytest_fixtures.logs import CapturedLogs

__all__ = [
    "auth_token_factory",
    "mock_netrun_config",
    "netrun_api_client",
    "netrun_config_override",
    "netrun_correlation_id",
    "netrun_django_client",
    "netrun_ec_key_pair",
    "netrun_fake_key_vault",
    "netrun_jwt_factory",
    "netrun_jwt_settings",
    "netrun_llm_stub",
    "netrun_log_capture",
    "netrun_logging_config",
    "netrun_membership_factory",
    "netrun_ratelimit_reset",
    "netrun_rsa_key_pair",
    "netrun_telemetry_sink",
    "netrun_tenant",
    "netrun_tenant_context",
    "netrun_tenant_factory",
    "netrun_tenant_id",
    "netrun_user_factory",
    "rsa_key_pair",
]

_C = TypeVar("_C", bound="BaseConfig")

#: The tenant ID ``netrun_tenant_id`` binds.
TEST_TENANT_ID = "00000000-0000-4000-8000-00000000a001"
#: The correlation ID ``netrun_correlation_id`` binds.
TEST_CORRELATION_ID = "test-correlation-id-0001"


# ----------------------------------------------------------------------------- request context


@pytest.fixture
def netrun_correlation_id() -> Iterator[str]:
    """A fixed correlation ID bound for the test; the value is what the test receives."""
    from netrun.core.context import correlation_context

    with correlation_context(TEST_CORRELATION_ID) as correlation_id:
        yield correlation_id


@pytest.fixture
def netrun_tenant_id() -> Iterator[str]:
    """A tenant ID bound as the current tenant for the test (override to choose another)."""
    from netrun.core.context import tenant_context

    with tenant_context(TEST_TENANT_ID) as tenant_id:
        assert tenant_id is not None
        yield tenant_id


@pytest.fixture
def netrun_tenant_context() -> Iterator[Callable[..., str]]:
    """``netrun_tenant_context(tenant, user=None)`` acts as ``tenant`` until the test ends.

    ``tenant`` and ``user`` are IDs or model instances (their ``pk``). Calling it again
    switches tenant; the previous context comes back after the test.
    """
    from netrun.core.context import bind

    with ExitStack() as stack:

        def activate(tenant: Any, user: Any = None) -> str:
            tenant_id = getattr(tenant, "pk", tenant)
            if tenant_id is None or tenant_id == "":
                raise ValueError("netrun_tenant_context needs a tenant or a tenant ID")
            values: dict[str, Any] = {"tenant_id": tenant_id}
            if user is not None:
                values["user_id"] = getattr(user, "pk", user)
            stack.enter_context(bind(**values))
            return str(tenant_id)

        yield activate


# ----------------------------------------------------------------------------- keys and tokens


@pytest.fixture(scope="session")
def netrun_rsa_key_pair() -> KeyPair:
    """An RSA key pair (RS256) as PEM text, made once per session; unpacks to two PEMs."""
    from netrun.pytest_fixtures.keys import generate_rsa_key_pair

    return generate_rsa_key_pair()


@pytest.fixture(scope="session")
def rsa_key_pair(netrun_rsa_key_pair: KeyPair) -> KeyPair:
    """The seeds' name for :func:`netrun_rsa_key_pair`."""
    return netrun_rsa_key_pair


@pytest.fixture(scope="session")
def netrun_ec_key_pair() -> KeyPair:
    """An EC P-256 key pair (ES256) as PEM text, made once per session."""
    from netrun.pytest_fixtures.keys import generate_ec_key_pair

    return generate_ec_key_pair()


class JWTFactory:
    """Issue access tokens with a :class:`~netrun.auth.JWTManager` on the test keys."""

    def __init__(self, manager: JWTManager) -> None:
        self.manager = manager

    def __call__(
        self,
        user_id: object = "test-user",
        roles: list[str] | tuple[str, ...] | None = None,
        tenant_id: object = None,
        **claims: Any,
    ) -> str:
        """An access token; ``roles`` default to ``["user"]`` as in the seeds."""
        return self.manager.create_access_token(
            user_id,
            roles=list(roles) if roles is not None else ["user"],
            tenant_id=tenant_id,
            **claims,
        )

    def verify(self, token: str) -> dict[str, Any]:
        return self.manager.verify(token)


@pytest.fixture
def netrun_jwt_factory(netrun_rsa_key_pair: KeyPair) -> JWTFactory:
    """``netrun_jwt_factory(user_id, roles=None, tenant_id=None, **claims)`` -> a JWT.

    Signed RS256 with :func:`netrun_rsa_key_pair`; the other ``AuthConfig`` values (issuer,
    audience, lifetimes) come from the project's settings, so the tokens match what its
    verifier expects once :func:`netrun_jwt_settings` installed the keys.
    """
    from netrun.auth import AuthConfig, JWTManager
    from netrun.config import SecretStr

    config = AuthConfig(
        jwt_algorithm=netrun_rsa_key_pair.algorithm,
        jwt_private_key=SecretStr(netrun_rsa_key_pair.private_pem),
        jwt_public_key=netrun_rsa_key_pair.public_pem,
        jwt_private_key_path=None,
        jwt_public_key_path=None,
        jwt_secret=None,
    )
    return JWTFactory(JWTManager(config))


@pytest.fixture
def auth_token_factory(netrun_jwt_factory: JWTFactory) -> JWTFactory:
    """The seeds' name for :func:`netrun_jwt_factory`."""
    return netrun_jwt_factory


@pytest.fixture
def netrun_jwt_settings(netrun_rsa_key_pair: KeyPair) -> Iterator[KeyPair]:
    """Django settings that make ``netrun.auth`` verify tokens signed with the test keys.

    Overrides ``NETRUN_AUTH_JWT_*`` for the test and rebuilds the shared ``JWTManager``
    before and after, so neither the project's keys nor the test's leak.
    """
    from django.test import override_settings

    from netrun.auth import reset_idp_verifier, reset_jwt_manager

    reset_jwt_manager()
    reset_idp_verifier()
    try:
        with override_settings(
            NETRUN_AUTH_JWT_ALGORITHM=netrun_rsa_key_pair.algorithm,
            NETRUN_AUTH_JWT_PRIVATE_KEY=netrun_rsa_key_pair.private_pem,
            NETRUN_AUTH_JWT_PUBLIC_KEY=netrun_rsa_key_pair.public_pem,
            NETRUN_AUTH_JWT_PRIVATE_KEY_PATH=None,
            NETRUN_AUTH_JWT_PUBLIC_KEY_PATH=None,
        ):
            yield netrun_rsa_key_pair
    finally:
        reset_jwt_manager()
        reset_idp_verifier()


def _django_has(app: str) -> bool:
    """Whether Django is set up with ``app`` installed (False without Django settings)."""
    from netrun.core.conf import django_settings_configured

    if not django_settings_configured():
        return False
    from django.apps import apps

    return apps.ready and apps.is_installed(app)


def _rbac_installed() -> bool:
    return _django_has("netrun.rbac")


def _identity(
    *, tenant: Any, roles: list[str] | tuple[str, ...], user: Any, claims: dict[str, Any]
) -> Identity:
    from netrun.auth import get_jwt_manager
    from netrun.pytest_fixtures.clients import Identity
    from netrun.pytest_fixtures.factories import MembershipFactory, TenantFactory, UserFactory

    roles = list(roles)
    if user is None:
        user = UserFactory()
    membership = None
    if tenant is None and TenantFactory is not None:
        tenant = TenantFactory()
    if MembershipFactory is not None and hasattr(tenant, "pk") and hasattr(user, "pk"):
        membership = MembershipFactory(
            user=user, tenant=tenant, role=roles[0] if roles else "member"
        )
    tenant_id = getattr(tenant, "pk", tenant)
    # The shared manager reads the settings netrun_jwt_settings installed, so the token is
    # exactly what the project's authenticators verify (issuer, audience, kid included).
    manager = get_jwt_manager()
    token = manager.create_access_token(user.pk, roles=roles, tenant_id=tenant_id, **claims)
    return Identity(
        user=user,
        tenant=tenant,
        roles=roles,
        token=token,
        claims=manager.verify(token),
        membership=membership,
    )


@pytest.fixture
def netrun_api_client(db: None, netrun_jwt_settings: KeyPair) -> Callable[..., NetrunAPIClient]:
    """``netrun_api_client(tenant=None, roles=("member",), user=None, **claims)``.

    A DRF ``APIClient`` with ``Authorization: Bearer <token>`` for ``user`` (a new one by
    default) acting in ``tenant`` (a new tenant when ``netrun.rbac`` is installed) with
    ``roles``; with ``netrun.rbac``, the user's membership of the tenant exists too (its
    role is the first of ``roles``). Needs the database; views must use
    ``netrun.auth.drf.JWTAuthentication``.
    """
    from netrun.pytest_fixtures.clients import api_client_for

    def make(
        *,
        tenant: Any = None,
        roles: list[str] | tuple[str, ...] = ("member",),
        user: Any = None,
        **claims: Any,
    ) -> NetrunAPIClient:
        return api_client_for(_identity(tenant=tenant, roles=roles, user=user, claims=claims))

    return make


@pytest.fixture
def netrun_django_client(db: None, netrun_jwt_settings: KeyPair) -> Callable[..., NetrunClient]:
    """Like :func:`netrun_api_client`, for Django's test ``Client`` (plain Django views)."""
    from netrun.pytest_fixtures.clients import django_client_for

    def make(
        *,
        tenant: Any = None,
        roles: list[str] | tuple[str, ...] = ("member",),
        user: Any = None,
        **claims: Any,
    ) -> NetrunClient:
        return django_client_for(_identity(tenant=tenant, roles=roles, user=user, claims=claims))

    return make


# ----------------------------------------------------------------------------- factories


@pytest.fixture
def netrun_user_factory(db: None) -> Any:
    """The factory-boy ``UserFactory`` of the active user model (database access enabled)."""
    from netrun.pytest_fixtures.factories import UserFactory

    return UserFactory


@pytest.fixture
def netrun_tenant_factory(db: None) -> Any:
    """The factory-boy ``TenantFactory`` (``netrun.rbac`` installed; skipped otherwise)."""
    if not _rbac_installed():
        pytest.skip("netrun.rbac is not in INSTALLED_APPS")
    from netrun.pytest_fixtures.factories import TenantFactory

    return TenantFactory


@pytest.fixture
def netrun_membership_factory(db: None) -> Any:
    """The factory-boy ``MembershipFactory`` (``netrun.rbac`` installed; skipped otherwise)."""
    if not _rbac_installed():
        pytest.skip("netrun.rbac is not in INSTALLED_APPS")
    from netrun.pytest_fixtures.factories import MembershipFactory

    return MembershipFactory


@pytest.fixture
def netrun_tenant(netrun_tenant_factory: Any) -> Iterator[Any]:
    """A new tenant, bound as the current tenant for the test."""
    from netrun.core.context import tenant_context

    tenant = netrun_tenant_factory()
    with tenant_context(tenant.pk):
        yield tenant


# ----------------------------------------------------------------------------- logging


@pytest.fixture
def netrun_log_capture() -> Iterator[CapturedLogs]:
    """Every structlog event of the test, context-enriched and redacted, with assertions."""
    from netrun.logging.testing import capture_logs
    from netrun.pytest_fixtures.logs import CapturedLogs

    with capture_logs() as entries:
        yield CapturedLogs(entries)


@pytest.fixture
def netrun_logging_config() -> Iterator[None]:
    """The seeds' fixture: readable console logging at DEBUG for the test, then restored.

    Lines go to whatever ``sys.stdout`` is when they are written, so ``capsys`` sees them.
    """
    import contextlib
    import sys

    from netrun.logging import configure_logging, logging_state, reset_logging

    class CurrentStdout:
        def write(self, text: str) -> int:
            return sys.stdout.write(text)

        def flush(self) -> None:
            sys.stdout.flush()

    before = logging_state()
    # The stream the suite's logging wrote to: restoring must not bind the stream of
    # whatever capture (capsys) happens to be active during teardown.
    stream = before.get("stream") or sys.stdout
    configure_logging(
        app_name="test",
        environment="testing",
        enable_json=False,
        log_level="DEBUG",
        stream=CurrentStdout(),  # type: ignore[arg-type]
        # The root logger stays the project's: netrun modules log through structlog, and
        # leaving stdlib alone means there is no stdlib level to restore afterwards.
        configure_stdlib=False,
    )
    try:
        yield
    finally:
        with contextlib.redirect_stdout(stream):
            if _django_has("netrun.logging"):
                # The project's NETRUN_LOGGING_* settings say what logging was; re-apply them.
                from netrun.logging.autoconfig import setup_from_settings

                setup_from_settings()
            elif before.get("mode") == "netrun":
                options = {key: value for key, value in before.items() if key != "mode"}
                configure_logging(**options)
            else:
                reset_logging()


# ----------------------------------------------------------------------------- configuration


@pytest.fixture
def netrun_config_override() -> Iterator[Callable[..., Any]]:
    """``netrun_config_override(ConfigClass, **values)``: ``get_settings`` returns this.

    Builds ``ConfigClass(**values)`` (the other fields from the usual sources) and makes it
    what ``get_settings(ConfigClass)`` and the packages' lazy ``conf`` objects return until
    the test ends; the previous object comes back after.
    """
    from netrun.config import registry

    saved: list[tuple[type[BaseConfig], BaseConfig | None]] = []

    def override(config_class: type[_C], **values: Any) -> _C:
        instance = config_class(**values)
        saved.append((config_class, registry.replace_settings(config_class, instance)))
        return instance

    yield override
    for config_class, previous in reversed(saved):
        registry.replace_settings(config_class, previous)


@pytest.fixture
def mock_netrun_config(netrun_config_override: Callable[..., Any]) -> Any:
    """The seeds' fixture: a ``BaseConfig`` for ``testing`` with debug on, installed."""
    from netrun.config import BaseConfig

    return netrun_config_override(BaseConfig, app_environment="testing", app_debug=True)


@pytest.fixture
def netrun_fake_key_vault() -> Iterator[FakeKeyVault]:
    """An in-memory Azure Key Vault configured for every settings class during the test.

    ``netrun_fake_key_vault.set("openai-api-key", "sk-...")`` before the settings are read;
    cached settings objects are dropped on entry and exit so they see (and forget) it.
    """
    from netrun.config import clear_settings_cache, configure_key_vault
    from netrun.config.keyvault import configured_key_vault
    from netrun.pytest_fixtures.fakes import FakeKeyVault

    # A client configured before the test (by the project) is put back afterwards.
    previous = configured_key_vault()
    vault = FakeKeyVault()
    configure_key_vault(vault)
    clear_settings_cache()
    try:
        yield vault
    finally:
        configure_key_vault(previous)
        clear_settings_cache()


# ----------------------------------------------------------------------------- rate limits


@pytest.fixture
def netrun_ratelimit_reset() -> Iterator[Callable[[], None]]:
    """Fresh rate-limit counters for the test; call the fixture's value to reset mid-test.

    Drops the backends ``netrun.ratelimit`` built from settings (in-memory counters go with
    them). Counters in a shared Redis are not deleted: give tests their own
    ``NETRUN_RATELIMIT_KEY_PREFIX`` for that.
    """
    from netrun.ratelimit.conf import reset_backends

    reset_backends()
    yield reset_backends
    reset_backends()


# ----------------------------------------------------------------------------- LLM


@pytest.fixture
def netrun_llm_stub() -> Iterator[StubLLMServer]:
    """A scripted LLM server on loopback speaking OpenAI, Azure, Anthropic and Ollama."""
    from netrun.llm.testing import StubLLMServer

    server = StubLLMServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def netrun_telemetry_sink() -> Iterator[TelemetryCapture]:
    """An in-memory telemetry sink behind the default LLM telemetry collector of the test."""
    from netrun.llm.telemetry import InMemorySink, TelemetryCollector, set_default_collector
    from netrun.pytest_fixtures.fakes import TelemetryCapture

    sink = InMemorySink()
    collector = TelemetryCollector(sinks=[sink], background=False)
    previous = set_default_collector(collector)
    try:
        yield TelemetryCapture(collector, sink)
    finally:
        set_default_collector(previous)
        collector.close()
