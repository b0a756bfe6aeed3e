"""Lua scripts run inside Redis, shipped as .lua files beside this module."""

from __future__ import annotations

from importlib.resources import files


def load(name: str) -> str:
    """The source of `name` (e.g. "rate_limit.lua") from this package."""
    return files(__package__).joinpath(name).read_text(encoding="utf-8")
