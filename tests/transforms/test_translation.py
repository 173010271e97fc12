"""Back-translation and the structure report on 2D images and volumes (slices along any axis)."""

from __future__ import annotations

import logging

import torch
from torch import nn

from medrestore.transforms import ApplyNetworkd, StructureReportd


class Invert(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        assert x.ndim == 4
        return 1.0 - self.scale * x


def test_back_translation_slice_by_slice_along_the_chosen_axis():
    vol = torch.rand(1, 6, 5, 4)
    for axis in (0, 1, 2):
        out = ApplyNetworkd("pred", Invert(), output_key="cycle", batch_size=2, spatial_dim=axis)({"pred": vol})
        torch.testing.assert_close(out["cycle"], 1.0 - vol)
    out = ApplyNetworkd("pred", Invert())({"pred": vol[..., 0]})
    assert out["cycle"].shape == (1, 6, 5)


def test_structure_report_logs_and_measures_slice_consistency(caplog):
    src = torch.rand(1, 16, 16, 3)
    smooth = src.mean(-1, keepdim=True).expand_as(src)  # identical slices: no slice-to-slice change
    with caplog.at_level(logging.INFO, logger="medrestore.transforms.translation"):
        out = StructureReportd("pred", source_key="image")({"pred": 1.0 - src, "image": src, "cycle": src})
    assert abs(out["structure"]["slice_consistency"] - 1.0) < 1e-5 and out["structure"]["cycle_mae"] == 0.0
    assert "structure image: mi" in caplog.text
    flat = StructureReportd("pred")({"pred": smooth, "image": src})["structure"]
    assert flat["slice_consistency"] < 1e-6 and "cycle_mae" not in flat
