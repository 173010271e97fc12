"""Seeded degradation transforms (MONAI dictionary transforms) for denoising.

All intensities are on the ``[0, 1]`` scale produced by :class:`medrestore.transforms.WindowIntensityd`
and noise parameters are in those units (``sigma = 0.1`` is 10 % of the intensity window).
Noisy outputs are **not** clipped, as real noise is not.

Seeding: when the data dictionary holds ``seed_key`` (default ``"noise_seed"``) the noise and its
level are drawn from ``numpy.random.default_rng(seed)``, so a validation or test item is degraded
identically in every run; otherwise the transform's own random state is used, which MONAI seeds
through ``set_determinism`` and draws afresh at every iteration (training).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import torch
from monai.config import KeysCollection
from monai.transforms import MapTransform, RandomizableTransform
from monai.utils import convert_to_dst_type

from medrestore.layers.noise_level import haar_mad_sigma
from medrestore.physics.ct import fbp, radon

__all__ = [
    "AddGaussianNoised",
    "AddPoissonGaussianNoised",
    "AddRicianNoised",
    "AddScaledNoised",
    "EstimateNoiseSigmad",
    "GONDARA_NOISE_GRID",
    "LowDoseCTNoised",
    "NoiseTransformd",
    "Recorrupted2Recorruptedd",
    "RicianBiasCorrectd",
    "estimate_gaussian_sigma",
    "estimate_rician_sigma",
    "noise_setting_name",
    "rician_bias_correct",
    "rician_mean",
]


def _as_range(value: float | Sequence[float], name: str) -> tuple[float, float]:
    lo, hi = (float(value), float(value)) if np.isscalar(value) else (float(value[0]), float(value[1]))
    if lo < 0 or hi < lo:
        raise ValueError(f"{name} must be a non-negative value or a (low, high) range, got {value}.")
    return lo, hi


class NoiseTransformd(RandomizableTransform, MapTransform):
    """Base class: reads ``keys``, writes the degraded image to ``output_keys`` (defaults to ``keys``)."""

    def __init__(
        self,
        keys: KeysCollection,
        output_keys: KeysCollection | None = None,
        seed_key: str | None = "noise_seed",
        prob: float = 1.0,
        allow_missing_keys: bool = False,
    ) -> None:
        MapTransform.__init__(self, keys, allow_missing_keys)
        RandomizableTransform.__init__(self, prob)
        self.output_keys = self.keys if output_keys is None else tuple(np.atleast_1d(output_keys).tolist())
        if len(self.output_keys) != len(self.keys):
            raise ValueError("output_keys must have the same length as keys.")
        self.seed_key = seed_key

    def _rng(self, d: Mapping) -> np.random.Generator:
        if self.seed_key is not None and self.seed_key in d:
            return np.random.default_rng(int(np.asarray(d[self.seed_key]).item()))
        return np.random.default_rng(self.R.randint(0, 2**31 - 1))

    def degrade(self, img: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict:
        d = dict(data)
        rng = self._rng(d)
        apply = rng.random() < self.prob
        for key, out_key in self.key_iterator(d, self.output_keys):
            img = d[key]
            img = torch.as_tensor(img)
            # the input's type and metadata (a MetaTensor stays one), whatever ``degrade`` built the noise from
            d[out_key] = convert_to_dst_type(self.degrade(img, rng), dst=img)[0] if apply else img.clone()
        return d


def _normal(rng: np.random.Generator, like: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(rng.standard_normal(tuple(like.shape), dtype=np.float32)).to(like.dtype)


class AddGaussianNoised(NoiseTransformd):
    """Additive white Gaussian noise ``y = x + sigma * n``, ``sigma ~ U(sigma_range)`` per image.

    Args:
        sigma: standard deviation on ``[0, 1]`` intensities, a value or a ``(low, high)`` range.
    """

    def __init__(self, keys: KeysCollection, sigma: float | Sequence[float] = (0.0, 0.2), **kwargs) -> None:
        super().__init__(keys, **kwargs)
        self.sigma = _as_range(sigma, "sigma")

    def degrade(self, img: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        sigma = rng.uniform(*self.sigma)
        return img + sigma * _normal(rng, img)


class AddRicianNoised(NoiseTransformd):
    """Rician noise of MR magnitude images: ``y = sqrt((x + sigma n1)^2 + (sigma n2)^2)``.

    Args:
        sigma: standard deviation of the complex Gaussian noise on ``[0, 1]`` intensities.
    """

    def __init__(self, keys: KeysCollection, sigma: float | Sequence[float] = (0.01, 0.1), **kwargs) -> None:
        super().__init__(keys, **kwargs)
        self.sigma = _as_range(sigma, "sigma")

    def degrade(self, img: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        sigma = rng.uniform(*self.sigma)
        return torch.sqrt((img + sigma * _normal(rng, img)) ** 2 + (sigma * _normal(rng, img)) ** 2)


class AddPoissonGaussianNoised(NoiseTransformd):
    """Poisson-Gaussian noise of X-ray detectors: ``y = Poisson(peak * x) / peak + sigma * n``.

    Args:
        peak: expected photon count at intensity 1 (lower = noisier), value or range.
        sigma: read-out (Gaussian) noise on ``[0, 1]`` intensities, value or range.
    """

    def __init__(
        self,
        keys: KeysCollection,
        peak: float | Sequence[float] = (50.0, 1000.0),
        sigma: float | Sequence[float] = (0.0, 0.02),
        **kwargs,
    ) -> None:
        super().__init__(keys, **kwargs)
        self.peak = _as_range(peak, "peak")
        self.sigma = _as_range(sigma, "sigma")
        if self.peak[0] <= 0:
            raise ValueError(f"peak must be > 0, got {peak}.")

    def degrade(self, img: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        peak, sigma = rng.uniform(*self.peak), rng.uniform(*self.sigma)
        lam = np.clip(img.detach().cpu().numpy().astype(np.float64), 0, None) * peak
        counts = torch.from_numpy(rng.poisson(lam).astype(np.float32)).to(img.dtype)
        return counts / peak + sigma * _normal(rng, img)


class LowDoseCTNoised(NoiseTransformd):
    """Low-dose CT: Poisson noise on the transmitted photons of a parallel-beam sinogram, then FBP.

    The ``[0, 1]`` image is read as attenuation: line integrals ``p = radon(x) * mu_scale``, counts
    ``N ~ Poisson(I0 * exp(-p))``, noisy integrals ``p' = -log(max(N, 1) / I0)``. The output is
    ``x + FBP(p' - p) / mu_scale``: the streaky, spatially correlated noise of a low-dose filtered
    back-projection (Ram-Lak) added to the clean image, without the discretisation blur of the
    projector (which is not noise and would bias a denoising target). Lower ``i0`` = lower dose.

    Args:
        i0: incident photons per detector bin, value or range (e.g. ``(1e4, 5e4)``).
        num_angles: projection angles over 180 degrees. Defaults to 180.
        mu_scale: attenuation of intensity 1 per pixel, so that line integrals stay in a CT-like
            range (a few units). Defaults to 0.02.
    """

    def __init__(
        self,
        keys: KeysCollection,
        i0: float | Sequence[float] = (1e4, 5e4),
        num_angles: int = 180,
        mu_scale: float = 0.02,
        **kwargs,
    ) -> None:
        super().__init__(keys, **kwargs)
        self.i0 = _as_range(i0, "i0")
        self.num_angles = num_angles
        self.mu_scale = mu_scale

    def degrade(self, img: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        i0 = rng.uniform(*self.i0)
        if img.ndim != 3:
            raise ValueError(f"LowDoseCTNoised expects a 2D image (C, H, W), got shape {tuple(img.shape)}.")
        x = img.float().unsqueeze(0)  # (1, C, H, W)
        sino = (radon(x, self.num_angles) * self.mu_scale).double()
        counts = rng.poisson(i0 * np.exp(-sino.numpy()))
        noisy = -torch.log(torch.from_numpy(np.maximum(counts, 1.0) / i0))
        noise = fbp((noisy - sino).float(), img.shape[-2:])[0] / self.mu_scale
        return img + noise.to(img.dtype)


# Gondara (ICDMW 2016): (kind, p, sigma or lambda); the noise standard deviation is p * sigma
# (p * sqrt(lambda) for Poisson) on [0, 1] intensities: 0.1, 0.5, 0.4, 1.0 and 0.2.
GONDARA_NOISE_GRID = (
    ("gaussian", 0.1, 1.0),
    ("gaussian", 0.5, 1.0),
    ("gaussian", 0.2, 2.0),
    ("gaussian", 0.2, 5.0),
    ("poisson", 0.2, 1.0),
)


def noise_setting_name(setting: Sequence) -> str:
    """``"gaussian p=0.1 sigma=1"`` / ``"poisson p=0.2 lambda=1"`` for a ``(kind, p, param)`` setting."""
    kind, p, param = setting[0], float(setting[1]), float(setting[2])
    return f"{kind} p={p:g} {'sigma' if kind == 'gaussian' else 'lambda'}={param:g}"


class AddScaledNoised(NoiseTransformd):
    """Scaled noise of Gondara's denoising autoencoder paper, one setting per image.

    A setting ``(kind, p, param)`` adds ``p * sigma * n`` with ``n ~ N(0, 1)`` for
    ``("gaussian", p, sigma)``, or ``p * (N - lambda)`` with ``N ~ Poisson(lambda)`` for
    ``("poisson", p, lambda)``: signal-independent noise of standard deviation ``p * sigma`` or
    ``p * sqrt(lambda)`` on ``[0, 1]`` intensities. The Poisson term is centred (the uncentred
    ``p * N`` of the paper's peers only adds the constant ``p * lambda``, which a network learns
    to subtract and a median filter or NL-means cannot). Not clipped.

    Args:
        settings: the grid to draw from. Defaults to :data:`GONDARA_NOISE_GRID`.
        setting: index of a fixed setting (evaluation of one noise level); None draws one per image.
        setting_key: data key that receives the chosen setting's name (None: not recorded).
    """

    def __init__(
        self,
        keys: KeysCollection,
        settings: Sequence[Sequence] = GONDARA_NOISE_GRID,
        setting: int | None = None,
        setting_key: str | None = "noise_setting",
        **kwargs,
    ) -> None:
        super().__init__(keys, **kwargs)
        self.settings = [(str(k), float(p), float(v)) for k, p, v in settings]
        for kind, p, value in self.settings:
            if kind not in ("gaussian", "poisson") or p < 0 or value < 0:
                raise ValueError(
                    f"noise setting ({kind}, {p}, {value}) must be ('gaussian'|'poisson', p >= 0, value >= 0)."
                )
        if setting is not None and not 0 <= int(setting) < len(self.settings):
            raise ValueError(f"setting must index the {len(self.settings)} noise settings, got {setting}.")
        self.setting = setting
        self.setting_key = setting_key

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict:
        d = dict(data)
        rng = self._rng(d)
        index = int(self.setting) if self.setting is not None else int(rng.integers(len(self.settings)))
        kind, p, value = self.settings[index]
        for key, out_key in self.key_iterator(d, self.output_keys):
            img = torch.as_tensor(d[key])
            if kind == "gaussian":
                noise = p * value * _normal(rng, img)
            else:
                noise = p * (torch.from_numpy(rng.poisson(value, tuple(img.shape)).astype(np.float32)) - value)
            d[out_key] = img + noise.to(img.dtype)
        if self.setting_key is not None:
            d[self.setting_key] = noise_setting_name(self.settings[index])
        return d


def estimate_gaussian_sigma(img: torch.Tensor | np.ndarray) -> float:
    """Robust standard deviation of additive white noise: the median absolute finest diagonal Haar
    wavelet coefficient / 0.6745 (Donoho's MAD estimator), over every 2D plane of the last two axes
    (:func:`medrestore.layers.haar_mad_sigma` over the whole array).

    Image structure leaks little into that band, so the estimate is close to the true sigma for
    natural and medical images (within a few per cent on the sample data at sigma >= 0.02); returns
    the value in the image's units.
    """
    x = torch.as_tensor(img, dtype=torch.float64)
    return float(haar_mad_sigma(x[None])[0])


def estimate_rician_sigma(img: torch.Tensor | np.ndarray, cutoff: float = 2.0, iterations: int = 30) -> float:
    """Standard deviation ``sigma`` of the complex noise behind an MR magnitude image, from its air.

    In air the magnitude is Rayleigh(``sigma``): the pixels below ``cutoff * sigma`` hold the fraction
    ``1 - exp(-cutoff^2 / 2)`` of it, with a known mean square, so ``sigma`` is the fixed point of
    ``sigma^2 = mean(y^2 | y < cutoff sigma) / (2 g)``, ``g = 1 - k e^-k / (1 - e^-k)``, ``k = cutoff^2 / 2``,
    started from the wavelet estimate. The result is kept within what the wavelet estimate allows: between
    it (all tissue) and it / 0.655 (all air: the Rayleigh spread). Within 8 % of the true sigma on the sample
    MR slices with 40 % air or more; on an image with almost no air, dark tissue counts as air and the
    estimate is high (up to the upper bound): pass sigma when it is known.
    """
    y = torch.as_tensor(img, dtype=torch.float64).flatten()
    wavelet = estimate_gaussian_sigma(img)
    if wavelet == 0:
        return 0.0
    k = cutoff**2 / 2
    g = 1 - k * np.exp(-k) / (1 - np.exp(-k))
    sigma = wavelet / 0.655
    for _ in range(iterations):
        air = y[y < cutoff * sigma]
        if air.numel() < 16:
            return wavelet
        sigma = float(torch.sqrt(air.square().mean() / (2 * g)))
    return float(min(max(sigma, wavelet), wavelet / 0.655))


class EstimateNoiseSigmad(MapTransform):
    """Write the noise level of ``keys[0]`` to ``sigma_key`` (on the image's scale: ``[0, 1]`` after
    :class:`medrestore.transforms.WindowIntensityd`): :func:`estimate_gaussian_sigma` for additive noise
    (``noise="gaussian"``), :func:`estimate_rician_sigma` for MR magnitude images (``noise="rician"``).
    Deterministic, so cacheable: estimate on the whole image or volume, before cropping."""

    def __init__(
        self,
        keys: KeysCollection,
        sigma_key: str = "noise_sigma",
        noise: str = "gaussian",
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        if noise not in ("gaussian", "rician"):
            raise ValueError(f"noise must be 'gaussian' or 'rician', got {noise!r}.")
        self.sigma_key, self.noise = sigma_key, noise

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict:
        d = dict(data)
        estimate = estimate_rician_sigma if self.noise == "rician" else estimate_gaussian_sigma
        d[self.sigma_key] = estimate(d[self.first_key(d)])
        return d


class Recorrupted2Recorruptedd(NoiseTransformd):
    """Training pairs from one noisy image (Pang et al., Recorrupted-to-Recorrupted, CVPR 2021).

    For ``y = x + n`` with white Gaussian ``n`` of standard deviation ``sigma``, draws ``z ~ N(0, sigma^2)``
    and writes ``y + alpha z`` to ``keys`` (the input) and ``y - z / alpha`` to ``target_key``. Their
    noises are independent, so the L2 loss between a network's output on the first and the second
    equals, in expectation, the supervised L2 loss against the clean ``x`` at noise
    ``sigma * sqrt(1 + alpha^2)``, plus a constant: a denoiser can be fine-tuned on the user's own
    noisy scans without clean references.

    Args:
        sigma: the noise standard deviation on the image's scale; None reads ``sigma_key`` (see
            :class:`EstimateNoiseSigmad`).
        alpha: recorruption strength (> 0); smaller keeps the input closer to the real noise level
            but makes the target noisier.
        target_mask_key: optional ``(1, *spatial)`` map; the target is NaN (no target, see
            :class:`medrestore.losses.MaskedMSELoss`) where it is 0, e.g. the blocks held out for
            validation (:class:`medrestore.transforms.HoldOutMaskd`).
    """

    def __init__(
        self,
        keys: KeysCollection,
        target_key: str = "label",
        sigma: float | None = None,
        sigma_key: str = "noise_sigma",
        alpha: float = 0.5,
        target_mask_key: str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(keys, **kwargs)
        self.target_mask_key = target_mask_key
        if alpha <= 0:
            raise ValueError(f"alpha must be > 0, got {alpha}.")
        if sigma is not None and sigma < 0:
            raise ValueError(f"sigma must be >= 0, got {sigma}.")
        self.target_key, self.sigma, self.sigma_key, self.alpha = target_key, sigma, sigma_key, float(alpha)

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict:
        d = dict(data)
        rng = self._rng(d)
        key = self.first_key(d)
        if self.sigma is None and self.sigma_key not in d:
            raise KeyError(f"no noise level: pass sigma or run EstimateNoiseSigmad (key {self.sigma_key!r}) first.")
        sigma = float(self.sigma if self.sigma is not None else d[self.sigma_key])
        y = torch.as_tensor(d[key])
        z = sigma * _normal(rng, y)
        d[key], d[self.target_key] = y + self.alpha * z, y - z / self.alpha
        if self.target_mask_key is not None:
            keep = torch.as_tensor(d[self.target_mask_key]) > 0
            d[self.target_key] = torch.where(keep, d[self.target_key], torch.nan)
        return d


def rician_mean(amplitude: np.ndarray | float, sigma: float) -> np.ndarray:
    """Mean magnitude ``E|A + sigma (n1 + i n2)|`` of Rician data of true amplitude ``A >= 0``:
    ``sigma sqrt(pi / 2) L_1/2(-A^2 / (2 sigma^2))`` (Laguerre polynomial; with exponentially scaled
    Bessel functions, stable for any SNR). Equals ``1.2533 sigma`` at ``A = 0`` and tends to ``A``."""
    from scipy.special import i0e, i1e

    t = np.square(np.asarray(amplitude, dtype=np.float64)) / (2.0 * sigma**2)
    return sigma * np.sqrt(np.pi / 2) * ((1 + t) * i0e(t / 2) + t * i1e(t / 2))


def rician_bias_correct(magnitude: np.ndarray | torch.Tensor, sigma: float) -> np.ndarray | torch.Tensor:
    """The amplitude whose Rician mean is ``magnitude`` (a denoised MR magnitude image, which estimates
    the local mean of the noisy magnitude): removes the noise floor that Rician noise leaves in dark
    regions (``1.25 sigma`` in air). Values at or below the floor map to 0. Same type and shape as the
    input; ``sigma`` is the complex noise standard deviation in the image's units (0: unchanged)."""
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}.")
    if sigma == 0:
        return magnitude
    is_tensor = isinstance(magnitude, torch.Tensor)
    m = magnitude.detach().cpu().numpy() if is_tensor else np.asarray(magnitude)
    snr = np.linspace(0.0, 40.0, 4001)  # amplitude / sigma; above 40 the mean is sqrt(A^2 + sigma^2) to 1e-5
    means = rician_mean(snr, 1.0)
    ratio = np.asarray(m, dtype=np.float64) / sigma
    amplitude = np.where(
        ratio > means[-1], np.sqrt(np.maximum(ratio**2 - 1.0, 0.0)), np.interp(ratio, means, snr, left=0.0)
    )
    out = (amplitude * sigma).astype(np.asarray(m).dtype)
    return torch.as_tensor(out).to(magnitude.device) if is_tensor else out


class RicianBiasCorrectd(MapTransform):
    """:func:`rician_bias_correct` on ``keys`` (after denoising, on the ``[0, 1]`` window).

    Args:
        sigma: the complex noise standard deviation on the window; None reads ``sigma_key`` (for
            example :class:`EstimateNoiseSigmad` with ``noise="rician"`` on the noisy input).
        enabled: False passes the data through (a config switch).
    """

    def __init__(
        self,
        keys: KeysCollection,
        sigma: float | None = None,
        sigma_key: str = "noise_sigma",
        enabled: bool = True,
        allow_missing_keys: bool = False,
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        self.sigma, self.sigma_key, self.enabled = sigma, sigma_key, enabled

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict:
        d = dict(data)
        if not self.enabled:
            return d
        if self.sigma is None and self.sigma_key not in d:
            raise KeyError(f"no noise level: pass sigma or run EstimateNoiseSigmad (key {self.sigma_key!r}) first.")
        sigma = float(self.sigma if self.sigma is not None else np.asarray(d[self.sigma_key]).item())
        for key in self.key_iterator(d):
            img = d[key]
            corrected = rician_bias_correct(torch.as_tensor(img), sigma)
            if hasattr(img, "copy_meta_from"):  # keep a MetaTensor's geometry for the inversion and writer
                corrected = type(img)(corrected, meta=img.meta, applied_operations=img.applied_operations)
            d[key] = corrected
        return d
