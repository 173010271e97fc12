"""Image-to-image translation generators (CycleGAN's ResNet generator, pix2pix's U-Net).

Both map an image ``(B, C, H, W)`` in ``[0, 1]`` to ``(B, C_out, H, W)`` in ``[0, 1]`` for any H and W:
the input is padded (edge values) to a multiple of the network's total stride and the output is
cropped back; internally the networks work on ``[-1, 1]`` with a ``tanh`` output, as published.

``norm="instance"`` is the published generator; ``norm="none"`` drops the normalisation layers, so that
the absolute intensity of a windowed MR image (which says the tissue) reaches every layer (learned
3x faster here, see the bundle README). Instance normalisation makes a generator trained on crops
depend on the crop size: its statistics over a whole slice (mostly background) differ from those over
a 128-pixel crop, and the output shifts (measured here: a pix2pix U-Net trained on 128-pixel crops scored 19-21 dB PSNR on 128-pixel
crops of held-out slices and 7-10 dB on the whole slices). With ``tile_size`` the generators
translate larger images in overlapping ``tile_size`` tiles (half-tile stride, blended with a
separable triangular window) so that inference sees what training saw; inside the module, so the
TorchScript export does the same. ``tile_size=0`` runs the whole image at once.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from monai.networks.nets import UNet
from torch import nn

__all__ = ["ResnetGenerator", "UNetGenerator", "init_normal"]


def init_normal(module: nn.Module, std: float = 0.02) -> None:
    """The pix2pix/CycleGAN initialisation: convolution weights N(0, std), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def _init_kaiming(module: nn.Module, nonlinearity: str = "relu", a: float = 0.0) -> None:
    """He initialisation (fan-in), biases 0: without normalisation layers the N(0, 0.02) weights of
    :func:`init_normal` would shrink the signal at every layer."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(m.weight, a=a, nonlinearity=nonlinearity)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def _padded(x: torch.Tensor, multiple: int) -> torch.Tensor:
    h, w = x.shape[-2], x.shape[-1]
    ph, pw = (multiple - h % multiple) % multiple, (multiple - w % multiple) % multiple
    return F.pad(x, [0, pw, 0, ph], mode="replicate") if ph or pw else x


class _TiledGenerator(nn.Module):
    """Base of the generators: ``forward`` runs :meth:`_whole` on the image, or on overlapping
    ``tile_size`` tiles (stride ``tile_size // 2``) blended with a triangular window when the image is
    larger than a tile along an axis; an axis shorter than a tile is zero-padded to it first (as the
    training crops of small images are), and the output cropped back."""

    def _whole(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _starts(self, length: int) -> list[int]:
        if self.tile_size <= 0 or length <= self.tile_size:
            return [0]
        stride = max(self.tile_size // 2, 1)
        starts = list(range(0, length - self.tile_size, stride))
        starts.append(length - self.tile_size)
        return starts

    def _window(self, length: int, tiled: bool, device: torch.device) -> torch.Tensor:
        if not tiled:
            return torch.ones(length, device=device)
        ramp = torch.arange(length, device=device, dtype=torch.float32) + 0.5
        return torch.minimum(ramp, length - ramp + 0.0) / (0.5 * length) + 1e-3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h0, w0 = x.shape[-2], x.shape[-1]
        if self.tile_size > 0 and (h0 < self.tile_size or w0 < self.tile_size):
            x = F.pad(x, [0, max(self.tile_size - w0, 0), 0, max(self.tile_size - h0, 0)])
        return self._tiled(x)[..., :h0, :w0]

    def _tiled(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2], x.shape[-1]
        rows, cols = self._starts(h), self._starts(w)
        if len(rows) == 1 and len(cols) == 1:
            return self._whole(x)
        th, tw = min(h, self.tile_size), min(w, self.tile_size)
        weight = self._window(th, len(rows) > 1, x.device)[:, None] * self._window(tw, len(cols) > 1, x.device)[None, :]
        out = torch.zeros(0, device=x.device)
        total = torch.zeros(h, w, device=x.device)
        for r in rows:
            for c in cols:
                y = self._whole(x[..., r : r + th, c : c + tw]) * weight
                if out.numel() == 0:
                    out = torch.zeros(y.shape[0], y.shape[1], h, w, device=x.device, dtype=y.dtype)
                out[..., r : r + th, c : c + tw] += y
                total[r : r + th, c : c + tw] += weight
        return out / total


NORMS = ("instance", "none")


def _check_norm(norm: str) -> None:
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}.")


def _norm(kind: str, channels: int) -> nn.Module:
    """Instance norm (published) or nothing (``"none"``: the absolute intensity, which says the tissue
    of a windowed MR image, reaches every layer, and a tile's output does not depend on the tile)."""
    return nn.InstanceNorm2d(channels) if kind == "instance" else nn.Identity()


class _ResnetBlock(nn.Module):
    """``[ReflPad-Conv3x3-Norm-ReLU-ReflPad-Conv3x3-Norm] + x`` (no dropout)."""

    def __init__(self, channels: int, norm: str = "instance") -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            _norm(norm, channels),
            nn.ReLU(inplace=True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            _norm(norm, channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(_TiledGenerator):
    """CycleGAN's generator (Johnson et al. / Zhu et al.): ``c7s1-f, d2f, d4f, num_blocks x R4f, u2f, uf, c7s1-out``.

    Reflection padding and instance norm throughout, ``tanh`` output. Published: ``features=64``,
    ``num_blocks=9`` (256-pixel images) or 6 (128-pixel images), transposed-convolution upsampling.

    Args:
        in_channels, out_channels: image channels.
        features: channels of the first layer (``ngf``).
        num_blocks: residual blocks at 1/4 resolution.
        upsample: ``"resize_conv"`` (nearest-neighbour x2 then a 3x3 convolution: no checkerboard
            artefacts, Odena et al. 2016) or ``"transpose"`` (the published stride-2 transposed convolution).
        tile_size: translate images larger than this in overlapping tiles of this size (the training
            crop size); 0: whole images.
        norm: ``"instance"`` (published) or ``"none"`` (no normalisation; Kaiming initialisation and
            residual blocks that start as the identity, so that the untrained network stays stable).
        pixel_map: hidden width of a per-pixel path (three 1x1 convolutions of the input intensity)
            added before the ``tanh``; the convolutional branch's last layer then starts at zero, so the
            generator starts as a learned pixel-wise intensity map and adds spatial context to it. 0: off
            (the published generator; the parameter names are the same as without the option).
    """

    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int = 1,
        features: int = 64,
        num_blocks: int = 9,
        upsample: str = "resize_conv",
        tile_size: int = 0,
        norm: str = "instance",
        pixel_map: int = 0,
    ) -> None:
        super().__init__()
        self.tile_size = int(tile_size)
        if upsample not in ("resize_conv", "transpose"):
            raise ValueError(f"upsample must be 'resize_conv' or 'transpose', got {upsample!r}.")
        _check_norm(norm)
        f = features
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, f, 7),
            _norm(norm, f),
            nn.ReLU(inplace=True),
        ]
        for c in (f, 2 * f):
            layers += [nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), _norm(norm, 2 * c), nn.ReLU(inplace=True)]
        blocks = [_ResnetBlock(4 * f, norm) for _ in range(num_blocks)]
        layers += blocks
        for c in (4 * f, 2 * f):
            if upsample == "transpose":
                layers.append(nn.ConvTranspose2d(c, c // 2, 3, stride=2, padding=1, output_padding=1))
            else:
                layers += [
                    nn.Upsample(scale_factor=2.0, mode="nearest"),
                    nn.ReflectionPad2d(1),
                    nn.Conv2d(c, c // 2, 3),
                ]
            layers += [_norm(norm, c // 2), nn.ReLU(inplace=True)]
        last = nn.Conv2d(f, out_channels, 7)
        layers += [nn.ReflectionPad2d(3), last]
        self.pixel = None
        if pixel_map > 0:
            w = int(pixel_map)
            self.pixel = nn.Sequential(
                nn.Conv2d(in_channels, w, 1), nn.ReLU(inplace=True), nn.Conv2d(w, w, 1), nn.ReLU(inplace=True),
                nn.Conv2d(w, out_channels, 1),
            )  # fmt: skip
        else:
            layers.append(nn.Tanh())
        self.model = nn.Sequential(*layers)
        if norm == "instance":
            init_normal(self)
        else:
            _init_kaiming(self)
            for block in blocks:
                nn.init.zeros_(block.body[5].weight)
        if self.pixel is not None:
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    def _whole(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2], x.shape[-1]
        x = _padded(2.0 * x - 1.0, 4)
        y = self.model(x) if self.pixel is None else torch.tanh(self.model(x) + self.pixel(x))
        return (0.5 * (y + 1.0))[..., :h, :w]


class UNetGenerator(_TiledGenerator):
    """pix2pix-style U-Net generator (MONAI ``UNet``: strided convolutions down, transposed up, skip
    connections, instance norm, ``tanh`` output). ``features`` doubles at each of ``levels`` levels.

    Args:
        in_channels, out_channels: image channels.
        features: channels at full resolution (published pix2pix: 64, eight levels for 256 pixels).
        levels: resolution levels (the input is padded to a multiple of ``2 ** (levels - 1)``).
        dropout: dropout inside the U-Net (pix2pix's only noise source; 0 here for deterministic outputs).
        tile_size: as for :class:`ResnetGenerator`.
        norm: ``"instance"`` (published) or ``"none"`` (Kaiming initialisation), as for :class:`ResnetGenerator`.
    """

    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int = 1,
        features: int = 32,
        levels: int = 5,
        dropout: float = 0.0,
        tile_size: int = 0,
        norm: str = "instance",
    ) -> None:
        super().__init__()
        self.tile_size = int(tile_size)
        _check_norm(norm)
        self.multiple = 2 ** (levels - 1)
        self.unet = UNet(
            spatial_dims=2,
            in_channels=in_channels,
            out_channels=out_channels,
            channels=tuple(min(features * 2**k, 8 * features) for k in range(levels)),
            strides=(2,) * (levels - 1),
            num_res_units=0,
            act=("LEAKYRELU", {"negative_slope": 0.2}),
            norm="INSTANCE" if norm == "instance" else None,
            dropout=dropout,
        )
        if norm == "instance":
            init_normal(self)
        else:
            _init_kaiming(self, nonlinearity="leaky_relu", a=0.2)

    def _whole(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2], x.shape[-1]
        y = torch.tanh(self.unet(_padded(2.0 * x - 1.0, self.multiple)))
        return (0.5 * (y + 1.0))[..., :h, :w]
