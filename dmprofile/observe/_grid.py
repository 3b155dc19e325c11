"""Stacked channels resampled from a fixed angular field onto a fixed physical field.

The disc suites observe every galaxy with one camera: a fixed field of view in arcmin. At
8 Mpc that field spans 40 kpc, at 40 Mpc 200 kpc, and a network that reads the images alone
cannot tell a small nearby galaxy from a large distant one. `to_physical_grid` rescales each
stack about its centre so that the field spans a fixed length (in kpc) whatever the distance.
Every channel is an intensive quantity (surface brightness per fixed solid angle, HI column
density, velocities), which a change of pixel size leaves unchanged, so the values are
interpolated, not rebinned. Beyond the observed field the output is 0, the value that
`stack_channels` gives blank sky and missing HI.
"""

import numpy as np
from astropy import units as u

__all__ = ["to_physical_grid"]


def to_physical_grid(images, distance, *, native_fov, fov):
    """Resample stacked channels from an angular field of view onto a physical one.

    Pixel ``j`` of the output lies at ``(j - c) * fov / npix`` from the centre ``c``; it is
    interpolated linearly from the input, whose pixels are ``native_fov * distance / npix``
    wide. Where the output pixels are larger than the input's (a nearby galaxy), the input is
    first smoothed with a Gaussian of ``(m - 1) / 2`` input pixels, ``m`` the ratio of pixel
    sizes, so that the downsampling does not alias noise. Outside the input field the output
    is 0.

    Parameters
    ----------
    images : array-like, shape (n, n_channels, npix, npix) or (n_channels, npix, npix)
        Stacked, normalised channels on the angular grid (`stack_channels`).
    distance : `~astropy.units.Quantity` [length], scalar or shape (n,)
        Distance of each galaxy.
    native_fov : `~astropy.units.Quantity` [angle]
        Field of view of the input images (full width).
    fov : `~astropy.units.Quantity` [length]
        Field of view of the output (full width), e.g. 100 kpc.

    Returns
    -------
    ndarray, float32
        Same shape as ``images``.

    Raises
    ------
    ValueError
        For images that are not square stacks, or distances that are not positive and finite
        or do not match the number of stacks.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy import units as u
    >>> x = np.ones((1, 16, 16))
    >>> y = to_physical_grid(x, 20 * u.Mpc, native_fov=10 * u.arcmin, fov=116.4 * u.kpc)
    >>> float(y[0, 8, 8]), float(y[0, 0, 0])
    (1.0, 0.0)
    """
    from scipy import ndimage

    from .._utils import as_value

    x = np.asarray(images, dtype=np.float32)
    single = x.ndim == 3
    if single:
        x = x[None]
    if x.ndim != 4 or x.shape[-1] != x.shape[-2]:
        msg = ("argument 'images' must have shape (n, n_channels, npix, npix) or "
               f"(n_channels, npix, npix), got {np.shape(images)}")
        raise ValueError(msg)
    d = np.atleast_1d(as_value(distance, u.Mpc, "distance", positive=True, allow_zero=False))
    if d.size == 1:
        d = np.full(len(x), d[0])
    if d.shape != (len(x),):
        msg = (f"argument 'distance' must be a scalar or have one value per stack ({len(x)}), "
               f"got {d.size}")
        raise ValueError(msg)
    native = as_value(native_fov, u.rad, "native_fov", scalar=True, positive=True,
                      allow_zero=False)
    target = as_value(fov, u.Mpc, "fov", scalar=True, positive=True, allow_zero=False)
    npix = x.shape[-1]
    centre = (npix - 1) / 2.0
    out = np.empty_like(x)
    for k in range(len(x)):
        m = target / (native * d[k])  # output pixel / input pixel
        stack = x[k]
        if m > 1.0:
            stack = ndimage.gaussian_filter(stack, sigma=(0.0, (m - 1) / 2, (m - 1) / 2),
                                            mode="constant", cval=0.0)
        offset = centre - m * centre
        out[k] = ndimage.affine_transform(stack, (1.0, m, m), offset=(0.0, offset, offset),
                                          order=1, mode="constant", cval=0.0)
    return out[0] if single else out
