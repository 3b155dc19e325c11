"""Mock observations: project a simulated galaxy on the sky and add realistic errors.

Dwarf spheroidals: `observe` turns a 3D star sample (`dmprofile.simulate.DwarfGalaxy.sample`)
into the catalogue a spectroscopic survey would deliver: projected positions ``x``, ``y`` [kpc],
line-of-sight velocities ``v_los`` with per-star errors ``v_err``, and optionally binary-star
jitter and Milky-Way foreground contamination with a membership probability ``p_member``.

Disc galaxies (de los Rios et al. 2023): `sdss_images` (SDSS ugriz in nanomaggies from a BC03
SSP table), `hi_cube` (MARTINI), `moment_maps`, `observe_disc` (all of them), real data onto the
same grid (`reproject_image`, `reproject_cube`) and the network input (`stack_channels`). They
take particles by duck typing (any object with ``stars`` / ``gas`` tables, such as
`dmprofile.simulate.GalaxyParticles`) and return FITS HDUs with celestial WCS. MARTINI,
spectral-cube, reproject and matplotlib are imported only by the functions that use them.
"""

from ._channels import CHANNELS, observe_disc, plot_observation, stack_channels
from ._grid import to_physical_grid
from ._hi import HISetup, clipped_flux_fraction, hi_cube
from ._moments import column_density, moment_maps
from ._observe import binary_velocities, draw_velocity_errors, observe
from ._real import reproject_cube, reproject_image
from ._sdss import ImagingSetup, sdss_images, sky_noise_per_pixel
from ._sky import DEFAULT_CENTRE, HUBBLE_CONSTANT, celestial_wcs, sky_projection
from ._ssp import SDSS_BANDS, ssp_absolute_magnitude, ssp_table

__all__ = ["observe", "draw_velocity_errors", "binary_velocities",
           "sky_projection", "celestial_wcs", "DEFAULT_CENTRE", "HUBBLE_CONSTANT",
           "SDSS_BANDS", "ssp_table", "ssp_absolute_magnitude",
           "ImagingSetup", "sdss_images", "sky_noise_per_pixel",
           "HISetup", "hi_cube", "clipped_flux_fraction",
           "moment_maps", "column_density",
           "reproject_image", "reproject_cube", "to_physical_grid",
           "CHANNELS", "observe_disc", "stack_channels", "plot_observation"]
