"""Mock HI data cubes of a particle galaxy with MARTINI (Oman et al. 2019), in Jy/beam.

The gas particles (HI masses, smoothing lengths, temperatures) become a
``martini.sources.SPHSource`` placed with the same orientation and sky grid as `sdss_images`;
MARTINI spreads them with the cubic-spline kernel (falling back to exact forms where the
approximation fails), gives each a thermal Gaussian line, adds Gaussian noise and convolves
with a truncated Gaussian beam. MARTINI is imported only when a cube is made.
"""

import dataclasses
import warnings

import numpy as np
from astropy import constants as const
from astropy import units as u
from astropy.io import fits
from scipy.special import ndtr

from .._utils import LENGTH, MASS, VELOCITY, as_value, column_values, require
from .._version import __version__
from ..exceptions import DMProfileWarning
from ._sky import check_centre, check_particles, orientation, rotate_table, systemic

__all__ = ["HISetup", "hi_cube", "clipped_flux_fraction"]

_FWHM_TO_SIGMA = 1.0 / np.sqrt(8.0 * np.log(2.0))


@dataclasses.dataclass(frozen=True)
class HISetup:
    """The distance-independent parameters of an HI interferometric observation.

    The defaults follow the paper (de los Rios et al. 2023, after THINGS: 5 km/s channels,
    Gaussian beam of 10 arcsec FWHM truncated at 3 FWHM, noise 5e-6 Jy/arcsec2) on the image
    grid (128 x 128 pixels over 17.2'), except the number of channels: ``n_channels=None``
    sizes the band to the galaxy (all its emission fits), while `HISetup.paper` keeps the
    paper's 64 channels (+-160 km/s), which clip massive discs (see `clipped_flux_fraction`).

    Parameters
    ----------
    n_pixels : int
        Pixels on each side.
    field_of_view : `~astropy.units.Quantity` [angle]
        Width of the square field.
    channel_width : `~astropy.units.Quantity` [speed]
        Width of a velocity channel.
    n_channels : int or None
        Number of channels centred on the systemic velocity; ``None`` covers the largest
        ``|v_los - v_sys|`` of the gas plus four thermal widths and ``velocity_margin``.
    velocity_margin : `~astropy.units.Quantity` [speed]
        Extra half-band of the automatic band.
    beam_fwhm : `~astropy.units.Quantity` [angle]
        FWHM of the circular Gaussian beam.
    beam_truncation : float
        Truncation radius of the beam kernel in units of its FWHM.
    noise_rms : `~astropy.units.Quantity` [Jy / arcsec2]
        Noise rms per channel as a surface brightness (converted to Jy/beam with the beam
        area, `HISetup.noise_per_beam`).
    noise : bool
        Add the noise; ``False`` gives noiseless cubes.
    """

    n_pixels: int = 128
    field_of_view: u.Quantity = 17.2 * u.arcmin
    channel_width: u.Quantity = 5.0 * u.km / u.s
    n_channels: int | None = None
    velocity_margin: u.Quantity = 20.0 * u.km / u.s
    beam_fwhm: u.Quantity = 10.0 * u.arcsec
    beam_truncation: float = 3.0
    noise_rms: u.Quantity = 5e-6 * u.Jy / u.arcsec**2
    noise: bool = True

    @classmethod
    def paper(cls):
        """Return the set-up of de los Rios et al. (2023): 64 channels of 5 km/s.

        Returns
        -------
        `HISetup`
            The paper's observation.
        """
        return cls(n_channels=64)

    @property
    def beam_area(self):
        """`~astropy.units.Quantity` [arcsec2]: the area of the Gaussian beam."""
        fwhm = self.beam_fwhm.to_value(u.arcsec)
        return 2.0 * np.pi * (fwhm * _FWHM_TO_SIGMA) ** 2 * u.arcsec**2

    @property
    def noise_per_beam(self):
        """`~astropy.units.Quantity` [Jy / beam]: the noise rms per channel in Jy/beam."""
        return (self.noise_rms * self.beam_area).to(u.Jy) / u.beam

    @property
    def pixel_scale(self):
        """`~astropy.units.Quantity` [angle]: the width of one pixel."""
        return (self.field_of_view / self.n_pixels).to(u.arcsec)


def _gas_arrays(particles, matrix):
    """Rotated positions/velocities and HI mass, smoothing length, temperature of the gas."""
    gas = check_particles(particles, "gas")
    if len(gas) == 0:
        msg = "argument 'particles' has no gas particles: there is no HI to observe"
        raise ValueError(msg)
    pos, vel = rotate_table(gas, matrix, what="particles.gas")
    m_hi = column_values(gas, "hi_mass", MASS, finite=True, what="particles.gas")
    hsm = column_values(gas, "smoothing_length", LENGTH, finite=True, what="particles.gas")
    temp = column_values(gas, "temperature", u.K, finite=True, what="particles.gas")
    if not np.any(m_hi > 0):
        msg = "argument 'particles' has no HI: column 'hi_mass' of the gas is zero everywhere"
        raise ValueError(msg)
    return pos, vel, m_hi, hsm, temp


def _thermal_sigma(temperature):
    """Thermal line width sqrt(k T / m_p) [km/s] (MARTINI's ``sigma="thermal"``)."""
    return np.sqrt(const.k_B.value * temperature / const.m_p.value) / 1000.0


def _n_channels(setup, v_rel, temperature):
    """Return the number of channels: the setup's, or one covering all the emission (even)."""
    if setup.n_channels is not None:
        return int(setup.n_channels)
    width = setup.channel_width.to_value(VELOCITY)
    half = np.max(np.abs(v_rel) + 4.0 * _thermal_sigma(temperature))
    half += setup.velocity_margin.to_value(VELOCITY)
    return max(16, 2 * int(np.ceil(half / width)))


def clipped_flux_fraction(particles, *, inclination, setup=None):
    """Return the fraction of the HI flux that falls outside the band of a cube.

    Each gas particle's thermal Gaussian line, at its line-of-sight velocity relative to the
    systemic velocity, is integrated over the band of ``setup`` (``n_channels x
    channel_width`` centred on the systemic velocity); the position angle does not matter.

    Parameters
    ----------
    particles : `~dmprofile.simulate.GalaxyParticles` or similar
        Any object with a ``gas`` table (positions, velocities, ``hi_mass``,
        ``temperature``).
    inclination : `~astropy.units.Quantity` [angle]
        Inclination (0 face-on, 90 deg edge-on).
    setup : `HISetup`, optional
        The observation (default `HISetup.paper`, 64 channels of 5 km/s); with
        ``n_channels=None`` the band covers everything and the fraction is ~0.

    Returns
    -------
    float
        The HI-mass-weighted fraction of the line flux outside the band.

    Examples
    --------
    >>> import numpy as np
    >>> import astropy.units as u
    >>> from astropy.table import QTable
    >>> from types import SimpleNamespace
    >>> from dmprofile.observe import clipped_flux_fraction
    >>> phi = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    >>> gas = QTable({"x": np.cos(phi) * u.kpc, "y": np.sin(phi) * u.kpc,
    ...               "z": np.zeros(400) * u.kpc, "vx": -250 * np.sin(phi) * u.km / u.s,
    ...               "vy": 250 * np.cos(phi) * u.km / u.s, "vz": np.zeros(400) * u.km / u.s,
    ...               "hi_mass": np.full(400, 1e7) * u.Msun,
    ...               "temperature": np.full(400, 1e4) * u.K})
    >>> f = clipped_flux_fraction(SimpleNamespace(gas=gas), inclination=90 * u.deg)
    >>> print(f"{f:.2f}")
    0.56
    """
    setup = HISetup.paper() if setup is None else setup
    matrix = orientation(inclination, 0.0 * u.deg)
    gas = check_particles(particles, "gas")
    if len(gas) == 0:
        msg = "argument 'particles' has no gas particles: there is no HI to observe"
        raise ValueError(msg)
    _, vel = rotate_table(gas, matrix, what="particles.gas")
    m_hi = column_values(gas, "hi_mass", MASS, finite=True, what="particles.gas")
    temp = column_values(gas, "temperature", u.K, finite=True, what="particles.gas")
    n = _n_channels(setup, vel[2], temp)
    half = 0.5 * n * setup.channel_width.to_value(VELOCITY)
    sigma = np.maximum(_thermal_sigma(temp), 1e-3)
    inside = ndtr((half - vel[2]) / sigma) - ndtr((-half - vel[2]) / sigma)
    return float(np.sum(m_hi * (1.0 - inside)) / np.sum(m_hi))


def _martini(pos, vel, m_hi, hsm, temp, *, setup, n_channels, distance_mpc, vsys, centre,
             seed):
    """Run MARTINI; return the cube (channel, y, x) in Jy/beam and its 3-axis WCS."""
    require("requests", "discs")
    martini = require("martini", "discs")
    from martini.beams import GaussianBeam
    from martini.noise import GaussianNoise
    from martini.sources import SPHSource
    from martini.spectral_models import GaussianSpectrum
    from martini.sph_kernels import CubicSplineKernel

    ra, dec = centre.ra.to(u.deg), centre.dec.to(u.deg)
    h = 0.7  # MARTINI's Hubble flow; the peculiar velocity makes up the systemic velocity
    source = SPHSource(
        distance=distance_mpc * u.Mpc, vpeculiar=(vsys - 100 * h * distance_mpc) * VELOCITY,
        ra=ra, dec=dec, h=h, T_g=temp * u.K, mHI_g=m_hi * u.Msun,
        # MARTINI's source frame: x away from the observer, y east, z north
        xyz_g=np.vstack([pos[2], pos[0], pos[1]]).T * u.kpc,
        vxyz_g=np.vstack([vel[2], vel[0], vel[1]]).T * VELOCITY,
        hsm_g=hsm * u.kpc, coordinate_axis=1)
    datacube = martini.DataCube(
        n_px_x=setup.n_pixels, n_px_y=setup.n_pixels, n_channels=n_channels,
        px_size=setup.pixel_scale, channel_width=setup.channel_width,
        spectral_centre=source.vsys, ra=ra, dec=dec)
    fwhm = setup.beam_fwhm.to(u.arcsec)
    beam = GaussianBeam(bmaj=fwhm, bmin=fwhm, truncate=float(setup.beam_truncation))
    noise = None
    if setup.noise:
        noise = GaussianNoise(rms=setup.noise_per_beam, seed=int(seed))
    try:
        m = martini.Martini(source=source, datacube=datacube, beam=beam, noise=noise,
                            spectral_model=GaussianSpectrum(sigma="thermal"),
                            sph_kernel=CubicSplineKernel(), quiet=True)
    except RuntimeError as exc:  # MARTINI prunes every particle: none falls in the cube
        if "No non-zero mHI" not in str(exc):
            raise
        msg = "no HI falls inside the field of view and band: the cube holds only noise"
        warnings.warn(msg, DMProfileWarning, stacklevel=3)
        centre_radio = datacube.spectral_centre.to_value(VELOCITY)
        return _noise_only(setup, n_channels, seed), datacube.wcs, centre_radio
    m.insert_source_in_cube(progressbar=False)
    if noise is not None:
        m.add_noise()
    m.convolve_beam()
    cube = m.datacube._array.to_value(u.Jy / u.beam).T  # (x, y, v) -> (v, y, x)
    centre_radio = m.datacube.spectral_centre.to_value(VELOCITY)  # radio convention
    return np.ascontiguousarray(cube, dtype=np.float32), m.datacube.wcs, centre_radio


def _noise_only(setup, n_channels, seed):
    """Return a cube of beam-correlated Gaussian noise at the set-up's rms (or zeros)."""
    from scipy import ndimage

    shape = (n_channels, setup.n_pixels, setup.n_pixels)
    if not setup.noise:
        return np.zeros(shape, dtype=np.float32)
    white = np.random.default_rng(seed).normal(size=shape)
    sigma = (setup.beam_fwhm * _FWHM_TO_SIGMA / setup.pixel_scale).to_value(u.one)
    smooth = ndimage.gaussian_filter(white, sigma=(0.0, sigma, sigma), mode="wrap")
    rms = setup.noise_per_beam.to_value(u.Jy / u.beam)
    return (smooth / smooth.std() * rms).astype(np.float32)


def hi_cube(particles, *, distance, inclination, position_angle, setup=None, centre=None,
            systemic_velocity=None, seed=None):
    """Observe the gas particles of a galaxy as an HI data cube with MARTINI.

    Parameters
    ----------
    particles : `~dmprofile.simulate.GalaxyParticles` or similar
        Any object with a ``gas`` table (positions, velocities, ``hi_mass``,
        ``smoothing_length``, ``temperature``) in the galaxy frame, rotation axis ``+z``.
    distance : `~astropy.units.Quantity` [length]
        Distance of the galaxy.
    inclination : `~astropy.units.Quantity` [angle]
        Inclination (0 face-on, 90 deg edge-on); see `sky_projection`.
    position_angle : `~astropy.units.Quantity` [angle]
        Position angle of the receding major axis, north through east.
    setup : `HISetup`, optional
        The observation (default ``HISetup()``: the paper's with a band wide enough).
    centre : `~astropy.coordinates.SkyCoord`, optional
        Sky position of the galaxy centre (default `DEFAULT_CENTRE`).
    systemic_velocity : `~astropy.units.Quantity` [speed], optional
        Systemic velocity (default ``HUBBLE_CONSTANT * distance``); the band is centred on it
        and it is recorded as ``VSYS``, which the moment maps subtract (the cube is thus
        analysed in the galaxy's rest frame, as in the paper).
    seed : int, `~numpy.random.Generator` or None
        Seed of the noise.

    Returns
    -------
    `~astropy.io.fits.PrimaryHDU`
        The cube (channel, y, x) in Jy/beam (``BUNIT``), float32, with a celestial + radio
        velocity WCS (RA---TAN, DEC--TAN, VRAD in m/s), the beam (``BMAJ``, ``BMIN``,
        ``BPA``), the noise (``NOISERMS`` [Jy/beam]) and ``VSYS`` [km/s].

    Examples
    --------
    >>> import numpy as np
    >>> import astropy.units as u
    >>> from astropy.table import QTable
    >>> from types import SimpleNamespace
    >>> from dmprofile.observe import HISetup, hi_cube
    >>> rng = np.random.default_rng(0)
    >>> r, phi = rng.uniform(0.5, 8, 300), rng.uniform(0, 2 * np.pi, 300)
    >>> gas = QTable({"x": r * np.cos(phi) * u.kpc, "y": r * np.sin(phi) * u.kpc,
    ...               "z": np.zeros(300) * u.kpc, "vx": -150 * np.sin(phi) * u.km / u.s,
    ...               "vy": 150 * np.cos(phi) * u.km / u.s, "vz": np.zeros(300) * u.km / u.s,
    ...               "hi_mass": np.full(300, 1e7) * u.Msun,
    ...               "smoothing_length": np.full(300, 1.0) * u.kpc,
    ...               "temperature": np.full(300, 1e4) * u.K})
    >>> cube = hi_cube(SimpleNamespace(gas=gas), distance=15 * u.Mpc, inclination=60 * u.deg,
    ...                position_angle=30 * u.deg, setup=HISetup(n_pixels=32), seed=1)
    >>> cube.header["BUNIT"], cube.data.shape[1:]
    ('Jy / beam', (32, 32))
    """
    setup = HISetup() if setup is None else setup
    if not isinstance(setup, HISetup):
        msg = f"argument 'setup' must be an HISetup, got {type(setup).__name__}"
        raise TypeError(msg)
    distance_mpc = as_value(distance, u.Mpc, "distance", scalar=True, positive=True,
                            allow_zero=False)
    centre = check_centre(centre)
    vsys = systemic(systemic_velocity, distance_mpc)
    matrix = orientation(inclination, position_angle)
    pos, vel, m_hi, hsm, temp = _gas_arrays(particles, matrix)
    keep = m_hi > 0
    pos, vel, m_hi, hsm, temp = pos[:, keep], vel[:, keep], m_hi[keep], hsm[keep], temp[keep]
    n_channels = _n_channels(setup, vel[2], temp)
    rng = np.random.default_rng(seed)
    noise_seed = int(rng.integers(0, 2**31 - 1))
    data, wcs, vsys_radio = _martini(pos, vel, m_hi, hsm, temp, setup=setup, n_channels=n_channels,
                         distance_mpc=distance_mpc, vsys=vsys, centre=centre, seed=noise_seed)
    header = wcs.to_header()
    header["BUNIT"] = "Jy / beam"
    fwhm_deg = setup.beam_fwhm.to_value(u.deg)
    header["BMAJ"], header["BMIN"], header["BPA"] = fwhm_deg, fwhm_deg, 0.0
    header["NOISERMS"] = (setup.noise_per_beam.to_value(u.Jy / u.beam) if setup.noise else 0.0,
                          "[Jy/beam] noise rms")
    header["VSYS"] = (vsys_radio, "[km/s] systemic velocity, radio")
    header["DIST_MPC"] = (distance_mpc, "[Mpc] distance")
    header["ORIGIN"] = f"dmprofile {__version__} with MARTINI"
    return fits.PrimaryHDU(data, header=header)
