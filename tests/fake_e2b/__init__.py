"""A fake E2B service on loopback that the real e2b SDK talks to, for offline tests."""

from __future__ import annotations

from .server import API_KEY, FakeE2B

__all__ = ["API_KEY", "FakeE2B"]
