"""What every figure shares: the Okabe-Ito colour-blind-safe palette (a fixed colour and marker per known
framework, the spare colours to other labels alphabetically), line styles per mode, and ``png(fig)``:
PNG bytes without metadata (byte-identical for unchanged tables), the figure cleared afterwards.
Figures are ``matplotlib.figure.Figure`` objects, never registered with pyplot.
"""
from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.figure import Figure

DPI = 100
OKABE_ITO = ("#0072B2", "#E69F00", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000")
FRAMEWORK_COLORS = {"scratchnet": OKABE_ITO[0], "keras": OKABE_ITO[1], "tf-loop": OKABE_ITO[4],
                    "torch": OKABE_ITO[5], "keras-default": OKABE_ITO[2], "sklearn": OKABE_ITO[3]}
MODE_STYLES = {"parity": "-", "native": "--"}
FRAMEWORK_MARKERS = {"scratchnet": "o", "keras": "s", "tf-loop": "P", "torch": "X", "keras-default": "D",
                     "sklearn": "^"}
PNG_METADATA = {"Software": None}


def framework_color(name: str, frameworks: Sequence[str] = ()) -> str:
    """The colour of ``name``: fixed for known frameworks, else by its rank among the others."""
    if name in FRAMEWORK_COLORS:
        return FRAMEWORK_COLORS[name]
    spare = OKABE_ITO[len(FRAMEWORK_COLORS):]
    others = sorted(f for f in set(frameworks) | {name} if f not in FRAMEWORK_COLORS)
    return spare[others.index(name) % len(spare)]


def framework_marker(name: str) -> str:
    return FRAMEWORK_MARKERS.get(name, "v")


def png(fig: Figure) -> bytes:
    """Encode ``fig`` as PNG without metadata, then clear it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata=PNG_METADATA)
    fig.clear()
    return buffer.getvalue()
