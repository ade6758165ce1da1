"""Split report cells into audience / geography categories with integer-exact largest-remainder splits.

Each ad group has fixed shares per breakdown (``market_truth.BREAKDOWNS``); several breakdown
dimensions combine as a product. Counts and spend (in cents) are split so the parts always add up
to the unsplit total, which keeps AUDIENCE sums equal to BASIC totals.
"""
from __future__ import annotations

import itertools

import numpy as np

from .market_truth import BREAKDOWNS

PROPORTIONAL = frozenset({"purchase_value", "play_seconds"})


def joint_shares(adgroup_of: np.ndarray, dims: list[str], shares: dict[str, np.ndarray]) -> np.ndarray:
    """(ads, categories) share matrix for the product of ``dims``; rows sum to 1."""
    joint = np.ones((len(adgroup_of), 1))
    for dim in dims:
        part = shares[dim][adgroup_of]
        joint = (joint[:, :, None] * part[:, None, :]).reshape(len(adgroup_of), -1)
    return joint


def largest_remainder(totals: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Integer parts of ``totals`` (any shape S) by ``shares`` (broadcastable to S + (K,)) summing exactly."""
    raw = totals[..., None] * shares
    floor = np.floor(raw)
    missing = totals - floor.sum(axis=-1)
    rank = np.argsort(np.argsort(-(raw - floor), axis=-1, kind="stable"), axis=-1, kind="stable")
    return floor + (rank < np.round(missing)[..., None])


def split_cells(cells: dict[str, np.ndarray], adgroup_of: np.ndarray, dims: list[str],
                shares: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], int, list[tuple[str, ...]]]:
    """(buckets, ads) cells -> (buckets, ads, categories) cells plus the category labels."""
    joint = joint_shares(adgroup_of, dims, shares)[None, :, :]
    out = {}
    for name, arr in cells.items():
        if name in PROPORTIONAL:
            out[name] = arr[..., None] * joint
        elif name == "spend":
            out[name] = largest_remainder(np.round(arr * 100), joint) / 100.0
        else:
            out[name] = largest_remainder(np.round(arr), joint)
    labels = list(itertools.product(*[BREAKDOWNS[d][0] for d in dims]))
    return out, joint.shape[-1], labels
