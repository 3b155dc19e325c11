"""Warnings and exceptions used throughout dmprofile."""

from astropy.utils.exceptions import AstropyUserWarning

__all__ = ["DMProfileWarning"]


class DMProfileWarning(AstropyUserWarning):
    """The single warning category of dmprofile.

    Every warning the package emits subclasses this class, so that users can
    filter all of them at once::

        import warnings
        warnings.simplefilter("ignore", DMProfileWarning)
    """
