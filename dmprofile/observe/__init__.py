"""dmprofile.observe (under construction)."""

__all__ = []
