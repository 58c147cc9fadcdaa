"""Parsing .env files: quoting, export, multi-line values, $, BOM, line numbers."""

from __future__ import annotations

from pathlib import Path

from netrun.env import parse_env_file, parse_env_text


def test_quotes_export_multiline_dollar_and_bom(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(
        "\ufeffexport A='single $HOME'\n"
        'B="double\nline"\n'
        "C=plain # comment\n"
        "D=$NOT_INTERPOLATED\n"
        "E\n".encode()
    )
    env = parse_env_file(path)
    assert env.values() == {
        "A": "single $HOME",
        "B": "double\nline",
        "C": "plain",
        "D": "$NOT_INTERPOLATED",
        "E": None,
    }
    assert [entry.line for entry in env.entries] == [1, 2, 4, 5, 6]
    assert env.path == str(path)


def test_syntax_errors_point_at_the_bad_line() -> None:
    env = parse_env_text("A=1\n\n   \n=novalue\nB=2\n")
    assert env.syntax_errors == [4]
    assert env.values() == {"A": "1", "B": "2"}


def test_comments_directly_above_a_variable_stay_with_it() -> None:
    env = parse_env_text("# unrelated\n\n# Describes A\n# type: int\nA=1\nB=2\n")
    first, second = env.entries
    assert first.comments == ("Describes A", "type: int")
    assert second.comments == ()


def test_last_definition_wins() -> None:
    env = parse_env_text("A=1\nA=2\n")
    assert env.values() == {"A": "2"}
    entry = env.entry("A")
    assert entry is not None
    assert entry.line == 2
    assert env.entry("B") is None
