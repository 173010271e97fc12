"""medrestore: code shared by the medical image restoration MONAI bundles of this repository.

Modules, one purpose each: ``layers`` (dynamic convolution, noise gate, data consistency),
``networks`` (DRAN, denoising autoencoder, MoDL, SRResNet), ``physics`` (CT projector, MRI operators,
resolution degradations), ``solvers`` (conjugate gradient), ``noise`` (seeded degradations),
``transforms`` (windowing, input checks, patch sampling, SR degradations and geometry), ``inferers``
(slices, sliding windows), ``handlers`` (ignite), ``engines`` (adversarial and translation trainers), ``distributed`` (multi-process shutdown), ``losses``,
``data`` (sources, builders, datalists), ``io`` (atomic writers), ``packaging`` (weight hashes, archives),
``visualize`` (comparison PNGs).
"""

from . import (
    config,
    data,
    distributed,
    engines,
    errors,
    evaluation,
    handlers,
    inferers,
    io,
    layers,
    losses,
    metrics,
    networks,
    noise,
    packaging,
    physics,
    tracking,
    transforms,
    visualize,
)

__version__ = "0.1.0"

__all__ = [
    "config",
    "data",
    "distributed",
    "engines",
    "errors",
    "evaluation",
    "handlers",
    "inferers",
    "io",
    "layers",
    "losses",
    "metrics",
    "networks",
    "noise",
    "packaging",
    "physics",
    "tracking",
    "transforms",
    "visualize",
]
