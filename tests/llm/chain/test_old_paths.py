"""The import paths written before 2.1 give the very same objects as ``netrun.llm.chain``."""

from __future__ import annotations

import importlib

import pytest

import netrun.llm
import netrun.llm.chain
import netrun.llm.client
from netrun.llm.adapters.registry import build_adapter
from netrun.llm.chain.client import LLMClient
from netrun.llm.chain.streams import AsyncClientStream, ClientStream


@pytest.mark.parametrize("old_path", ["netrun.llm.client", "netrun.llm"])
def test_an_old_path_gives_the_chains_objects(old_path: str) -> None:
    module = importlib.import_module(old_path)
    for name in ["AsyncClientStream", "ClientStream", "LLMClient", "build_adapter"]:
        assert getattr(module, name) is getattr(netrun.llm.chain, name), name


def test_the_chain_exports_its_modules_objects() -> None:
    assert netrun.llm.chain.__all__ == [
        "AsyncClientStream",
        "ClientStream",
        "LLMClient",
        "build_adapter",
    ]
    assert netrun.llm.chain.LLMClient is LLMClient
    assert netrun.llm.chain.ClientStream is ClientStream
    assert netrun.llm.chain.AsyncClientStream is AsyncClientStream
    assert netrun.llm.chain.build_adapter is build_adapter
    assert netrun.llm.client.__all__ == netrun.llm.chain.__all__
