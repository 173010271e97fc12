import numpy as np
import pytest
import torch
from monai.data import MetaTensor

from medrestore.transforms import WindowIntensityd


def test_percentile_window_maps_to_unit_range_and_inverts_exactly():
    img = MetaTensor(torch.linspace(-500, 1500, 1000).reshape(1, 25, 40))
    t = WindowIntensityd("image", percentiles=(0, 100))
    out = t({"image": img})
    assert out["image"].min().item() == pytest.approx(0) and out["image"].max().item() == pytest.approx(1)
    back = t.inverse(out)["image"]
    torch.testing.assert_close(back.as_tensor(), img.as_tensor(), rtol=1e-5, atol=1e-3)


def test_item_window_beats_fixed_window_beats_percentiles():
    img = MetaTensor(torch.full((1, 4, 4), 100.0))
    fixed = WindowIntensityd("image", window=(-1024, 2048))
    assert fixed({"image": img})["image"].mean().item() == pytest.approx((100 + 1024) / 3072)
    item = fixed({"image": img, "window": [0.0, 200.0]})["image"]
    assert item.mean().item() == pytest.approx(0.5)


def test_values_outside_window_are_kept_for_invertibility():
    img = MetaTensor(torch.tensor([[[-2000.0, 0.0, 5000.0]]]))
    out = WindowIntensityd("image", window=(-1000, 1000))({"image": img})["image"]
    assert np.allclose(out.numpy().ravel(), [-0.5, 0.5, 3.0])


def test_bad_window():
    with pytest.raises(ValueError):
        WindowIntensityd("image", window=(10, 10))
