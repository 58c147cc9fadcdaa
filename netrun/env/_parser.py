"""Reading ``.env`` files with line numbers, as python-dotenv reads them.

python-dotenv's parser handles single and double quotes, ``export`` prefixes, multi-line
quoted values and inline comments. Values are kept exactly as written: no ``${VAR}``
interpolation, so a secret containing ``$`` is never silently changed. A UTF-8 byte-order
mark (which some Windows editors add) is dropped.

Comment lines directly above a variable are kept with it: ``netrun-env generate-example``
writes each variable's type there, and ``validate --example`` reads it back.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from dotenv.parser import parse_stream

__all__ = ["EnvEntry", "EnvFile", "parse_env_file", "parse_env_text"]


@dataclass(frozen=True)
class EnvEntry:
    """One ``KEY=value`` line (``value`` is ``None`` for a bare ``KEY``)."""

    key: str
    value: str | None
    line: int
    comments: tuple[str, ...] = ()


@dataclass
class EnvFile:
    path: str
    entries: list[EnvEntry] = field(default_factory=list)
    #: Line numbers of lines the parser could not read.
    syntax_errors: list[int] = field(default_factory=list)

    def values(self) -> dict[str, str | None]:
        """``{KEY: value}``; a key defined twice keeps its last value, as python-dotenv does."""
        return {entry.key: entry.value for entry in self.entries}

    def entry(self, key: str) -> EnvEntry | None:
        found = None
        for entry in self.entries:
            if entry.key == key:
                found = entry
        return found


def parse_env_text(text: str, path: str = "<string>") -> EnvFile:
    text = text.removeprefix("\ufeff")
    result = EnvFile(path)
    comments: list[str] = []
    for binding in parse_stream(io.StringIO(text)):
        raw_lines = binding.original.string.splitlines()
        if binding.error:
            # The parser's line number is where the chunk started, which may be blank lines
            # before the bad one; point at the first non-blank line.
            offset = next((i for i, raw in enumerate(raw_lines) if raw.strip()), 0)
            result.syntax_errors.append(binding.original.line + offset)
            comments = []
            continue
        if binding.key is None:
            for raw in raw_lines:
                stripped = raw.strip()
                if not stripped:
                    comments = []
                elif stripped.startswith("#"):
                    comments.append(stripped.lstrip("#").strip())
            continue
        result.entries.append(
            EnvEntry(binding.key, binding.value, binding.original.line, tuple(comments))
        )
        comments = []
    return result


def parse_env_file(path: str | Path) -> EnvFile:
    """Parse ``path``; ``OSError`` when it cannot be read."""
    data = Path(path).read_text(encoding="utf-8-sig")
    return parse_env_text(data, str(path))
