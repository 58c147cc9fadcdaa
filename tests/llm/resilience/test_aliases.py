"""Model aliases and routing groups edited in the admin: validated targets, merged over
``NETRUN_LLM_MODEL_ALIASES``, cached per process, and a save seen by every process's next
lookup (the generation in Django's cache)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from netrun.llm.checks import check_model_aliases
from netrun.llm.models import ModelAlias
from netrun.llm.resilience import django as alias_django
from netrun.llm.resilience.alias_cache import AliasTableCache
from netrun.llm.resilience.django import acurrent_aliases, current_aliases
from netrun.llm.resilience.routing import route, target_problem
from netrun.logging.testing import capture_logs

ROOT = Path(__file__).resolve().parents[3]
ADD = "/admin/netrun_llm/modelalias/add/"
SETTINGS_ALIASES: dict[str, Any] = {"fast": ["gpt-4.1-mini"], "smart": "openai/gpt-4.1"}


@pytest.fixture(autouse=True)
def _fresh_aliases() -> Iterator[None]:
    alias_django.invalidate_aliases()
    yield
    alias_django.invalidate_aliases()


def _admin(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("root", "root@example.com", "pw")


# ---------------------------------------------------------------------- targets


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("gpt-4.1-mini", None),
        ("openai/gpt-4.1-mini", None),
        ("claude/claude-haiku-4-5", None),  # the chain's other names are accepted
        ("ollama/meta-llama/Llama-3.1-8B", None),  # a model name with a slash, its provider
        ("opnai/gpt-4.1", "unknown provider 'opnai'"),
        ("openai/", "misses its provider or its model"),
        ("/gpt-4.1", "misses its provider or its model"),
        ("gpt 4.1", "holds spaces"),
        (" ", "blank"),
    ],
)
def test_a_target_is_provider_slash_model_or_a_bare_model(target: str, problem: str | None) -> None:
    found = target_problem(target)
    assert found is None if problem is None else problem in str(found)


# ---------------------------------------------------------------------- the merged table


@pytest.mark.django_db
def test_an_admin_alias_overrides_the_settings_alias_of_its_name() -> None:
    assert current_aliases(SETTINGS_ALIASES) == SETTINGS_ALIASES
    ModelAlias.objects.create(name="fast", targets=["anthropic/claude-haiku-4-5", "gpt-4.1-nano"])
    ModelAlias.objects.create(name="cheap", targets=["gemini-2.5-flash"])
    aliases = current_aliases(SETTINGS_ALIASES)
    assert aliases == {
        "fast": ["anthropic/claude-haiku-4-5", "gpt-4.1-nano"],
        "smart": "openai/gpt-4.1",
        "cheap": ["gemini-2.5-flash"],
    }
    assert route("fast", aliases) == [
        (("anthropic",), "claude-haiku-4-5"),
        (("openai", "azure_openai"), "gpt-4.1-nano"),
    ]
    # A disabled row leaves the settings' entry in force; a deleted one too.
    ModelAlias.objects.filter(name="fast").update(enabled=False)  # no signal: ...
    assert current_aliases(SETTINGS_ALIASES)["fast"] == [
        "anthropic/claude-haiku-4-5",
        "gpt-4.1-nano",
    ]
    alias_django.invalidate_aliases()  # ... until something says the rows changed
    assert current_aliases(SETTINGS_ALIASES)["fast"] == ["gpt-4.1-mini"]
    ModelAlias.objects.get(name="cheap").delete()
    assert "cheap" not in current_aliases(SETTINGS_ALIASES)


@pytest.mark.django_db
def test_lookups_are_answered_from_memory_until_a_save_or_delete() -> None:
    alias = ModelAlias.objects.create(name="fast", targets=["gpt-4.1-mini"])
    current_aliases({})
    with CaptureQueriesContext(connection) as queries:
        assert current_aliases({})["fast"] == ["gpt-4.1-mini"]
    assert len(queries) == 0
    alias.targets = ["claude-haiku-4-5"]
    alias.save()  # the receiver drops the table
    with CaptureQueriesContext(connection) as queries:
        assert current_aliases({})["fast"] == ["claude-haiku-4-5"]
    assert len(queries) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_an_event_loop_reads_the_aliases_in_a_worker_thread() -> None:
    from asgiref.sync import sync_to_async

    await sync_to_async(ModelAlias.objects.create)(name="fast", targets=["claude-haiku-4-5"])
    assert (await acurrent_aliases(SETTINGS_ALIASES))["fast"] == ["claude-haiku-4-5"]


def test_a_failed_load_keeps_the_last_table_and_says_so() -> None:
    tables: list[Any] = [{"fast": ["gpt-4.1-mini"]}, RuntimeError("database down")]

    def load() -> Any:
        table = tables.pop(0)
        if isinstance(table, Exception):
            raise table
        return table

    cache = AliasTableCache(load, key="k")
    assert cache.get() == {"fast": ["gpt-4.1-mini"]}
    cache.invalidate()
    with capture_logs() as logs:
        assert cache.get() == {"fast": ["gpt-4.1-mini"]}
    assert [e["event"] for e in logs] == ["llm_aliases_unavailable"]


def test_an_unreadable_generation_loads_the_table_for_each_lookup() -> None:
    class Down:
        def get(self, key: str) -> Any:
            raise ConnectionError("cache down")

    loads: list[int] = []

    def load() -> dict[str, list[str]]:
        loads.append(1)
        return {}

    cache = AliasTableCache(load, key="k", shared_store=Down)
    with capture_logs() as logs:
        cache.get()
        cache.get()
    assert len(loads) == 2  # closed when unsure: the database decides
    assert {e["event"] for e in logs} == {"llm_aliases_generation_unavailable"}


# ---------------------------------------------------------------------- W006


@pytest.mark.django_db
@override_settings(NETRUN_LLM_PROVIDER_CHAIN="openai,ollama")
def test_w006_an_admin_alias_with_an_unknown_or_absent_provider() -> None:
    assert check_model_aliases(databases=["default"]) == []
    ModelAlias.objects.bulk_create(  # past the admin's validation, as a shell would
        [
            ModelAlias(name="fast", targets=["gpt-4.1-mini", "opnai/gpt-4.1"]),
            ModelAlias(name="smart", targets=["anthropic/claude-sonnet-4-5"]),
            ModelAlias(name="off", targets=["opnai/x"], enabled=False),
        ]
    )
    messages = check_model_aliases(databases=["default"])
    assert [(m.id, m.obj) for m in messages] == [
        ("netrun.llm.W006", "fast"),
        ("netrun.llm.W006", "smart"),
    ]
    assert "unknown provider 'opnai'" in messages[0].msg
    assert "not in NETRUN_LLM_PROVIDER_CHAIN" in messages[1].msg
    assert check_model_aliases() == []  # a database check: only when asked for one


@pytest.mark.django_db
@override_settings(NETRUN_LLM_PROVIDER_CHAIN="openai,ollama")
def test_manage_py_check_database_reports_w006() -> None:
    ModelAlias.objects.bulk_create([ModelAlias(name="smart", targets=["gemini/gemini-2.5-pro"])])
    out = StringIO()
    call_command("check", "--database", "default", stdout=out, stderr=out)
    assert "netrun.llm.W006" in out.getvalue()


# ---------------------------------------------------------------------- another process


@pytest.fixture
def alias_processes(postgres_dsn: str, redis_url: str) -> Iterator[tuple[Any, Any]]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.llm.resilience.alias_settings",
        "NETRUN_ALIAS_DSN": postgres_dsn,
        "NETRUN_ALIAS_REDIS": redis_url,
    }
    script = "tests/llm/resilience/alias_process.py"

    def run(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, script, *args],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr

    run("setup")
    server = subprocess.Popen(
        [sys.executable, script, "serve"],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    assert server.stdout.readline().strip() == "ready"

    def lookup() -> tuple[dict[str, Any], int]:
        assert server.stdin is not None
        assert server.stdout is not None
        server.stdin.write("\n")
        server.stdin.flush()
        aliases, queries = json.loads(server.stdout.readline())
        return aliases, queries

    try:
        yield run, lookup
    finally:
        server.kill()
        server.wait(timeout=30)


@pytest.mark.postgres
def test_a_save_in_one_process_is_seen_by_the_next_lookup_of_another(
    alias_processes: tuple[Any, Any],
) -> None:
    run, lookup = alias_processes
    assert lookup() == ({"fast": ["gpt-4.1-mini"], "smart": "openai/gpt-4.1"}, 1)
    assert lookup()[1] == 0  # from the process's memory: one cache GET, no query
    run("save", "fast", "anthropic/claude-haiku-4-5,gpt-4.1-mini", "on")
    aliases, queries = lookup()
    assert aliases["fast"] == ["anthropic/claude-haiku-4-5", "gpt-4.1-mini"]
    assert queries == 1
    run("save", "fast", "anthropic/claude-haiku-4-5", "off")  # disabled: the settings' again
    assert lookup() == ({"fast": ["gpt-4.1-mini"], "smart": "openai/gpt-4.1"}, 1)
