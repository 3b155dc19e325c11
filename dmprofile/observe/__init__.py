"""Mock observations: project a simulated galaxy on the sky and add realistic errors.

`observe` turns a 3D star sample (`dmprofile.simulate.DwarfGalaxy.sample`) into the catalogue a
spectroscopic survey would deliver: projected positions ``x``, ``y`` [kpc], line-of-sight
velocities ``v_los`` with per-star errors ``v_err``, and optionally binary-star jitter and
Milky-Way foreground contamination with a membership probability ``p_member``.
"""

from ._observe import binary_velocities, draw_velocity_errors, observe

__all__ = ["observe", "draw_velocity_errors", "binary_velocities"]
