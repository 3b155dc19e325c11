"""dmprofile.datasets (under construction)."""

__all__ = []
