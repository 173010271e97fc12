"""The stock MonaiBundleInferenceOperator casts restored images to uint8; ours emits float32. Run in
the Deploy environment so that an SDK release that fixes the cast is noticed here."""

from __future__ import annotations

from tests.conftest import run_python

SCRIPT = """
import types
import numpy as np
import torch
from monai.deploy.core import Image
from monai.deploy.operators.monai_bundle_inference_operator import MonaiBundleInferenceOperator
from medrestore.deploy.operators import FloatBundleInferenceOperator

class Output:
    def get(self, name):
        raise RuntimeError("not a leaf with a path")
    def emit(self, value, name):
        self.value = value

restored = torch.linspace(0.05, 0.95, 48).reshape(1, 1, 6, 8)  # a [0, 1] restored image (B, C, H, W)
fake = types.SimpleNamespace(_outputs={"pred": {"type": "image"}}, _get_io_data_type=lambda conf: Image)
stock, ours = Output(), Output()
MonaiBundleInferenceOperator._send_output(fake, restored, "pred", {}, stock, None)
FloatBundleInferenceOperator._send_output(fake, restored, "pred", {"spatial_shape": [6, 8]}, ours, None)
s, o = stock.value.asnumpy(), ours.value.asnumpy()
print("stock", s.dtype, s.shape, int(s.max()))
print("ours", o.dtype, o.shape, float(np.abs(o - restored[0, 0].numpy()).max()))
"""


def test_stock_operator_casts_to_uint8_and_ours_keeps_float32(deploy_python, tmp_path):
    out = run_python(deploy_python, ["-c", SCRIPT], cwd=tmp_path).stdout
    stock = next(line for line in out.splitlines() if line.startswith("stock")).split()
    ours = next(line for line in out.splitlines() if line.startswith("ours")).split()
    # SDK 4.0.0: uint8 cast, every value in [0, 1) becomes 0; if this fails, the SDK changed its cast
    assert stock[1] == "uint8" and stock[-1] == "0"
    assert ours[1] == "float32" and ours[2:4] == ["(6,", "8)"] and float(ours[-1]) == 0.0
