"""Approximate centroids (latitude, longitude) of Danish postal codes, for distances in matching.

Only the postal codes of the shipped demo municipalities (Kolding, Vejle) and their neighbours are
included, read off a map to about +-2 km. No complete, licensed table could be fetched on the
development machines; a tenant outside this area gets "afstand ukendt" (no points, no penalty)
until a full table (e.g. DAWA's postnumre) is shipped here.
"""

from __future__ import annotations

CENTROIDS: dict[str, tuple[float, float]] = {
    # Kolding Kommune and neighbours
    "6000": (55.490, 9.472),
    "6040": (55.616, 9.307),
    "6051": (55.563, 9.433),
    "6052": (55.578, 9.497),
    "6064": (55.555, 9.292),
    "6070": (55.356, 9.484),
    "6091": (55.445, 9.567),
    "6092": (55.468, 9.625),
    "6093": (55.404, 9.545),
    "6094": (55.385, 9.620),
    "6580": (55.428, 9.287),
    "6600": (55.481, 9.137),
    "6640": (55.484, 9.303),
    "7000": (55.566, 9.752),
    # Vejle Kommune and neighbours
    "7080": (55.641, 9.650),
    "7100": (55.709, 9.536),
    "7120": (55.708, 9.600),
    "7140": (55.705, 9.792),
    "7173": (55.849, 9.401),
    "7182": (55.705, 9.372),
    "7183": (55.693, 9.268),
    "7300": (55.756, 9.420),
    "7321": (55.790, 9.327),
    "7323": (55.845, 9.239),
    "7330": (55.944, 9.129),
}
