"""Kept for imports written before 2.1: these names live in :mod:`netrun.llm.chain` now."""

from __future__ import annotations

from netrun.llm.chain import AsyncClientStream, ClientStream, LLMClient, build_adapter

__all__ = ["AsyncClientStream", "ClientStream", "LLMClient", "build_adapter"]
