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


def test_extra_maps_get_a_column_without_an_error_map(tmp_path):
    saver = ComparisonPNGSaver(str(tmp_path / "cmp.png"), crop=32, names=("lr", "sr", "hr"), extra={"spread": "s"})
    item = {"image": torch.rand(1, 16, 16), "pred": torch.rand(1, 32, 32), "label": torch.rand(1, 32, 32)}
    saver.collect(SimpleNamespace(state=SimpleNamespace(output=[item])))
    assert not saver.rows  # an item without the extra map is not shown
    saver.collect(SimpleNamespace(state=SimpleNamespace(output=[{**item, "s": torch.full((1, 32, 32), 0.5)}])))
    assert list(saver.rows[0]) == ["lr", "sr", "hr", "spread"]
    saver.write(None)
    # lr, sr, hr, spread, and one error map (sr): no error map of the spread against the reference
    assert Image.open(tmp_path / "cmp.png").size[0] == 5 * 32
