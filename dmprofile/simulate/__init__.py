"""dmprofile.simulate (under construction)."""

__all__ = []
