"""A local metric projection for one corridor, in numpy (no PROJ dependency in the core).

Azimuthal equidistant on a sphere, centred on the corridor, then scaled north-south by the
ellipsoid's meridional radius and east-west by its prime-vertical radius at the centre.
Over 700 km at 29°N this keeps distances within about 0.1% of the WGS84 geodesic (the
spherical azimuthal error grows as ρ²/6: 0.05% at 350 km from the centre), far inside the
1% a 500 m corridor needs, and it is exactly invertible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: Up to this many points `forward_points` uses plain floats: numpy's per-call cost (a few
#: microseconds per operation) outweighs its speed on the handful of fixes of one trip's batch.
SMALL_BATCH = 32

WGS84_A = 6_378_137.0
WGS84_E2 = 6.694_379_990_14e-3


def _radii(lat_deg: float) -> tuple[float, float]:
    """(meridional, prime-vertical) radii of curvature of WGS84 at a latitude, in metres."""
    s2 = math.sin(math.radians(lat_deg)) ** 2
    w = 1.0 - WGS84_E2 * s2
    return WGS84_A * (1.0 - WGS84_E2) / w**1.5, WGS84_A / math.sqrt(w)


@lru_cache(maxsize=256)
def _centre(lat0: float) -> tuple[float, float, float, float]:
    """(x scale, y scale, sin, cos) of a centre latitude: once per corridor, not per batch.

    x (east) uses the prime-vertical radius, y (north) the meridional one."""
    m, n = _radii(lat0)
    phi0 = math.radians(lat0)
    return n, m, math.sin(phi0), math.cos(phi0)


def as_floats(values: ArrayLike) -> FloatArray:
    """A flat float64 array from scalars, lists or arrays (NaN check is the caller's)."""
    return np.atleast_1d(np.asarray(values, dtype=np.float64)).ravel()


@dataclass(frozen=True, slots=True)
class LocalProjection:
    """Lon/lat degrees <-> metres east/north of (lon0, lat0)."""

    lon0: float
    lat0: float

    def forward(self, lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray]:
        lam = np.radians(as_floats(lons) - self.lon0)
        phi = np.radians(as_floats(lats))
        sx, sy, sin0, cos0 = _centre(self.lat0)
        sin_p, cos_p = np.sin(phi), np.cos(phi)
        cos_l = np.cos(lam)
        cos_c = np.clip(sin0 * sin_p + cos0 * cos_p * cos_l, -1.0, 1.0)
        c = np.arccos(cos_c)
        sin_c = np.sin(c)
        with np.errstate(invalid="ignore", divide="ignore"):
            k = np.where(c < 1e-12, 1.0, c / sin_c)
        x = sx * k * cos_p * np.sin(lam)
        y = sy * k * (cos0 * sin_p - sin0 * cos_p * cos_l)
        return x, y

    def forward_points(
        self, lons: Sequence[float], lats: Sequence[float]
    ) -> tuple[list[float], list[float]]:
        """`forward` as lists; few points in plain Python, the same formula step by step."""
        if len(lons) > SMALL_BATCH:
            x, y = self.forward(lons, lats)
            return x.tolist(), y.tolist()
        sx, sy, sin0, cos0 = _centre(self.lat0)
        xs, ys = [], []
        for lon, lat in zip(lons, lats, strict=True):
            lam = math.radians(lon - self.lon0)
            phi = math.radians(lat)
            sin_p, cos_p = math.sin(phi), math.cos(phi)
            cos_l = math.cos(lam)
            c = math.acos(min(max(sin0 * sin_p + cos0 * cos_p * cos_l, -1.0), 1.0))
            k = 1.0 if c < 1e-12 else c / math.sin(c)
            xs.append(sx * k * cos_p * math.sin(lam))
            ys.append(sy * k * (cos0 * sin_p - sin0 * cos_p * cos_l))
        return xs, ys

    def inverse(self, xs: ArrayLike, ys: ArrayLike) -> tuple[FloatArray, FloatArray]:
        sx, sy, sin0, cos0 = _centre(self.lat0)
        x = as_floats(xs) / sx
        y = as_floats(ys) / sy
        c = np.hypot(x, y)
        sin_c, cos_c = np.sin(c), np.cos(c)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(c < 1e-15, 0.0, y * sin_c / c)
        phi = np.arcsin(np.clip(cos_c * sin0 + ratio * cos0, -1.0, 1.0))
        lam = np.arctan2(x * sin_c, c * cos0 * cos_c - y * sin0 * sin_c)
        lam = np.where(c < 1e-15, 0.0, lam)
        return np.degrees(lam) + self.lon0, np.degrees(phi)

    @classmethod
    def centred_on(cls, lons: ArrayLike, lats: ArrayLike) -> LocalProjection:
        """Centre of the bounding box: keeps the farthest point as close as possible."""
        lo, la = as_floats(lons), as_floats(lats)
        return cls(lon0=float((lo.min() + lo.max()) / 2.0), lat0=float((la.min() + la.max()) / 2.0))
