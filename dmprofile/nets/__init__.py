"""dmprofile.nets (under construction)."""

__all__ = []
