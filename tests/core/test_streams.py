"""``stdout_to_stderr`` and ``DocumentCommandMixin``: stdout carries the document alone."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import BaseCommand

from netrun.core.streams import DocumentCommandMixin, stdout_to_stderr
from netrun.logging import get_logger


def test_everything_but_the_document_goes_to_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    held = sys.stdout  # what a log handler configured earlier holds
    with stdout_to_stderr() as document:
        print("print noise")
        held.write("held noise\n")
        held.flush()
        get_logger("tests.streams").warning("logged_noise")
        document.write('{"ok": true}\n')
    print("after")
    out, err = capfd.readouterr()
    assert out == '{"ok": true}\nafter\n'
    assert "print noise" in err
    assert "held noise" in err


def test_in_memory_stdout_is_swapped_not_duplicated(capsys: pytest.CaptureFixture[str]) -> None:
    buffer = io.StringIO()
    saved = sys.stdout
    sys.stdout = buffer
    try:
        with stdout_to_stderr() as document:
            print("noise")
            document.write("doc")
    finally:
        sys.stdout = saved
    assert buffer.getvalue() == "doc"
    assert "noise" in capsys.readouterr().err


class Probe(DocumentCommandMixin, BaseCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        print("noise from the command")
        self.stdout.write("[1, 2]")


def test_a_document_command_writes_only_its_report_to_stdout(
    capfd: pytest.CaptureFixture[str],
) -> None:
    call_command(Probe())
    out, err = capfd.readouterr()
    assert out == "[1, 2]\n"
    assert "noise from the command" in err
    given = io.StringIO()
    call_command(Probe(), stdout=given)
    assert given.getvalue() == "[1, 2]\n"
