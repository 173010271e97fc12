from types import SimpleNamespace

import torch
from PIL import Image

from medrestore.handlers import ComparisonPNGSaver


def test_smaller_low_resolution_input_is_shown_at_the_output_size(tmp_path):
    saver = ComparisonPNGSaver(str(tmp_path / "cmp.png"), crop=32, names=("low resolution", "sr", "hr"))
    engine = SimpleNamespace(
        state=SimpleNamespace(
            output=[{"image": torch.rand(1, 16, 20), "pred": torch.rand(1, 32, 40), "label": torch.rand(1, 32, 40)}]
        )
    )
    saver.collect(engine)
    assert saver.rows[0]["low resolution"].shape == saver.rows[0]["sr"].shape == (32, 32)
    saver.write(engine)
    assert Image.open(tmp_path / "cmp.png").size[0] > 3 * 32
