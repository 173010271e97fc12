"""Dynamic convolution (Chen et al., CVPR 2020) as used by DRAN."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["DynamicConv2d"]


class DynamicConv2d(nn.Module):
    """2D convolution whose kernel is an input-dependent mixture of ``num_kernels`` candidates.

    .. math::
        \\pi(x) = \\mathrm{softmax}\\big(\\mathrm{FC_2}(\\mathrm{ReLU}(\\mathrm{FC_1}(\\mathrm{GAP}(x)))) / \\tau\\big),
        \\quad y = \\Big(\\sum_k \\pi_k(x) W_k\\Big) * x + \\sum_k \\pi_k(x) b_k

    The aggregated kernel differs per sample, so the batch is folded into the channel axis and
    convolved once with ``groups=B`` (one grouped convolution, no Python loop over samples).

    Unlike the official DRAN code, the biases are initialised (uniform in ``±1/sqrt(fan_in)``,
    as ``nn.Conv2d`` does) and the temperature ``tau`` is a buffer that training anneals through
    :meth:`set_temperature` (see ``medrestore.handlers.TemperatureAnnealingHandler``).

    Args:
        in_channels: input channels ``C_in``.
        out_channels: output channels ``C_out``.
        kernel_size: square kernel size. Defaults to 3.
        padding: zero padding. Defaults to ``kernel_size // 2`` ("same" output size).
        num_kernels: number of candidate kernels ``K``. Defaults to 4.
        reduction: hidden width of the attention MLP as a fraction of ``in_channels``. Defaults to 0.25.
        temperature: initial softmax temperature ``tau`` (> 0). Defaults to 30.
        bias: learn per-candidate biases. Defaults to True.

    Shapes:
        input ``(B, C_in, H, W)`` -> output ``(B, C_out, H, W)`` (any ``H``, ``W``).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        padding: int | None = None,
        num_kernels: int = 4,
        reduction: float = 0.25,
        temperature: float = 30.0,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_kernels < 1:
            raise ValueError(f"num_kernels must be >= 1, got {num_kernels}.")
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}.")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.padding = kernel_size // 2 if padding is None else padding
        self.num_kernels = num_kernels
        hidden = max(int(in_channels * reduction), 4)
        self.attention = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_channels, hidden, 1, bias=False),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, num_kernels, 1, bias=True),
        )
        self.weight = nn.Parameter(torch.empty(num_kernels, out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.empty(num_kernels, out_channels)) if bias else None
        self.register_buffer("temperature", torch.tensor(float(temperature)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming-uniform init of every candidate kernel; biases uniform in ``±1/sqrt(fan_in)``."""
        for k in range(self.num_kernels):
            nn.init.kaiming_uniform_(self.weight[k], a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_channels * self.kernel_size * self.kernel_size
            bound = 1.0 / math.sqrt(fan_in)
            nn.init.uniform_(self.bias, -bound, bound)

    @torch.jit.unused
    def set_temperature(self, value: float) -> None:
        """Set the softmax temperature ``tau`` (> 0); lower values make the kernel choice sharper."""
        if value <= 0:
            raise ValueError(f"temperature must be > 0, got {value}.")
        self.temperature.fill_(float(value))

    def attention_weights(self, x: torch.Tensor) -> torch.Tensor:
        """Kernel attention ``pi`` of shape ``(B, K)``; each row sums to 1."""
        logits = self.attention(x).flatten(1)
        return torch.softmax(logits / self.temperature, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        pi = self.attention_weights(x)  # (B, K)
        weight = torch.mm(pi, self.weight.flatten(1)).view(
            b * self.out_channels, self.in_channels, self.kernel_size, self.kernel_size
        )
        bias: torch.Tensor | None = None
        if self.bias is not None:
            bias = torch.mm(pi, self.bias).flatten()
        out = F.conv2d(x.reshape(1, -1, h, w), weight, bias, padding=self.padding, groups=b)
        return out.view(b, self.out_channels, out.shape[-2], out.shape[-1])
