"""``netrun init`` / ``manage.py netrun_init``: the settings block, its choices and its writing.

getting-started shows the default selection's block and ``urls.py`` verbatim; a test here
keeps the page and the generator the same text.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.core.management import CommandError, call_command

from netrun.core._starter import (
    BLOCK_START,
    COMPONENTS,
    DEFAULT_APPS,
    parse_apps,
    settings_block,
    urls_module,
    write_block,
)
from netrun.core.cli import main
from tests.docs.test_examples import DOCS, extract_python_blocks

ALL = tuple(component.name for component in COMPONENTS)


def _doc_blocks() -> list[str]:
    text = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    return [source for _line, source in extract_python_blocks(text)]


def test_getting_started_shows_the_default_settings_block_verbatim() -> None:
    blocks = [block for block in _doc_blocks() if block.startswith(BLOCK_START)]
    assert blocks == [settings_block()]


def test_getting_started_shows_the_default_urls_module_verbatim() -> None:
    blocks = [block for block in _doc_blocks() if "urlpatterns" in block]
    assert blocks == [urls_module()]


def test_cli_prints_the_documented_block_and_urls() -> None:
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    assert result.output == f"# settings.py\n{settings_block()}\n# urls.py\n{urls_module()}"


def test_default_is_the_common_stack_with_dogfood() -> None:
    assert parse_apps(None) == parse_apps("default") == DEFAULT_APPS
    block = settings_block()
    assert '"netrun.dogfood",' in block
    assert '"rest_framework",' in block
    assert "REST_FRAMEWORK = {" in block
    assert "NETRUN_LOGGING_CONFIGURE = True" in block
    assert "LOGGING_CONFIG = None" not in block  # netrun.logging prints Django's lines once


@pytest.mark.parametrize("apps", ["default", "all", "core", "auth,rbac,llm", "openapi,ratelimit"])
def test_every_selection_is_valid_python(apps: str) -> None:
    chosen = parse_apps(apps)
    ast.parse(settings_block(chosen))
    ast.parse(urls_module(chosen))


def test_core_and_requirements_are_always_added_in_component_order() -> None:
    assert parse_apps("llm") == ("core", "llm")
    assert parse_apps("openapi") == ("drf", "openapi", "core")
    assert parse_apps("netrun.rbac,auth") == ("core", "auth", "rbac")
    assert parse_apps("all") == ALL


@pytest.mark.parametrize("apps", ["auth,nope", "rbac, llms"])
def test_an_unknown_app_is_named_with_the_valid_ones(apps: str) -> None:
    with pytest.raises(ValueError, match="unknown app name") as raised:
        parse_apps(apps)
    message = str(raised.value)
    bad = [name.strip() for name in apps.split(",") if name.strip() not in (*ALL, "")]
    for name in bad:
        assert repr(name) in message
    assert "valid names: drf, openapi, core, errors" in message
    assert "'auth'" not in message
    assert "'rbac'" not in message


@pytest.mark.parametrize("apps", ["", ",", " , "])
def test_an_empty_selection_is_refused_with_the_valid_names(apps: str) -> None:
    with pytest.raises(ValueError, match=r"--apps names no app; valid names: drf, openapi"):
        parse_apps(apps)


def test_write_into_a_missing_folder_names_it(tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "settings.py"
    result = CliRunner().invoke(main, ["init", "--write", str(target)])
    assert result.exit_code == 1
    assert f"the folder {target.parent} does not exist" in result.output
    assert not target.parent.exists()


def test_cli_refuses_an_unknown_app_by_name() -> None:
    result = CliRunner().invoke(main, ["init", "--apps", "rbac,tenants"])
    assert result.exit_code == 2
    assert "'tenants'" in result.output
    assert "valid names:" in result.output
    assert "dogfood" in result.output


def test_middleware_order_follows_the_apps() -> None:
    block = settings_block(parse_apps("all"))
    order = [
        "netrun.logging.middleware.CorrelationIdMiddleware",
        "netrun.cors.middleware.CorsMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "netrun.auth.middleware.JWTAuthenticationMiddleware",
        "netrun.rbac.middleware.TenantMiddleware",
        "netrun.errors.middleware.ErrorEnvelopeMiddleware",
        "netrun.ratelimit.middleware.RateLimitMiddleware",
    ]
    positions = [block.index(f'"{name}"') for name in order]
    assert positions == sorted(positions)
    assert "CorsMiddleware" not in settings_block()


def test_urls_route_the_admin_which_serves_the_dashboard() -> None:
    urls = urls_module()
    assert 'path("admin/", admin.site.urls),' in urls
    assert "spend dashboard at admin/netrun_llm/dashboard/" in urls
    assert 'handler404 = "netrun.errors.views.handler404"' in urls
    assert "dashboard" not in urls_module(parse_apps("core,errors"))
    assert "handler404" not in urls_module(parse_apps("core"))


def test_write_appends_once_and_refuses_a_second_block(tmp_path: Path) -> None:
    settings = tmp_path / "settings.py"
    settings.write_text('DEBUG = True\nINSTALLED_APPS = ["x"]\n', encoding="utf-8")
    assert write_block(settings) is False
    written = settings.read_text(encoding="utf-8")
    assert written == 'DEBUG = True\nINSTALLED_APPS = ["x"]\n\n' + settings_block()
    with pytest.raises(FileExistsError, match="already has a netrun settings block"):
        write_block(settings, parse_apps("all"))
    assert settings.read_text(encoding="utf-8") == written  # untouched


def test_write_creates_a_separate_module(tmp_path: Path) -> None:
    target = tmp_path / "netrun_settings.py"
    assert write_block(target, parse_apps("auth")) is True
    assert target.read_text(encoding="utf-8") == settings_block(parse_apps("auth"))


def test_cli_write_refuses_a_file_with_a_block(tmp_path: Path) -> None:
    settings = tmp_path / "settings.py"
    settings.write_text("DEBUG = True\n", encoding="utf-8")
    first = CliRunner().invoke(main, ["init", "--write", str(settings)])
    assert first.exit_code == 0, first.output
    assert urls_module() in first.stdout
    second = CliRunner().invoke(main, ["init", "--write", str(settings), "--apps", "all"])
    assert second.exit_code == 1
    assert "already has a netrun settings block" in second.output
    assert settings.read_text(encoding="utf-8").count(BLOCK_START) == 1


def test_management_command_prints_the_same_text(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("netrun_init", "--apps", "auth,llm")
    chosen = parse_apps("auth,llm")
    assert capsys.readouterr().out == (
        f"# settings.py\n{settings_block(chosen)}\n# urls.py\n{urls_module(chosen)}"
    )


def test_management_command_names_a_bad_app() -> None:
    with pytest.raises(CommandError, match=r"'bogus'.*valid names"):
        call_command("netrun_init", "--apps", "bogus")


def test_management_command_writes_and_refuses(tmp_path: Path) -> None:
    target = tmp_path / "netrun_settings.py"
    call_command("netrun_init", "--write", str(target))
    assert target.read_text(encoding="utf-8") == settings_block()
    with pytest.raises(CommandError, match="already has a netrun settings block"):
        call_command("netrun_init", "--write", str(target))
