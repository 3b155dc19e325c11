"""dmprofile.classical (under construction)."""

__all__ = []
