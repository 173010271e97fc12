"""medrestore: code shared by the medical image restoration MONAI bundles of this repository.

Modules, one purpose each: ``layers`` (dynamic convolution, noise gate), ``networks`` (DRAN),
``physics`` (CT projector), ``noise`` (seeded degradations), ``transforms`` (windowing, input
checks, patch sampling), ``inferers``, ``handlers`` (ignite), ``data`` (sources, builder,
datalists), ``io`` (atomic writers), ``visualize`` (comparison PNGs).
"""

from . import (
    data,
    evaluation,
    handlers,
    inferers,
    io,
    layers,
    metrics,
    networks,
    noise,
    physics,
    tracking,
    transforms,
    visualize,
)

__version__ = "0.1.0"

__all__ = [
    "data",
    "evaluation",
    "handlers",
    "inferers",
    "io",
    "layers",
    "metrics",
    "networks",
    "noise",
    "physics",
    "tracking",
    "transforms",
    "visualize",
]
