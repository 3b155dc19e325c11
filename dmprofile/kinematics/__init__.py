"""dmprofile.kinematics (under construction)."""

__all__ = []
