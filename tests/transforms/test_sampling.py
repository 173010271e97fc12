import pytest
import torch

from medrestore.transforms import RandSliced


def test_volumes_give_one_random_slice_with_the_same_index_for_every_key():
    vol = torch.arange(2 * 4 * 5 * 6, dtype=torch.float32).reshape(2, 4, 5, 6)
    t = RandSliced(["image", "label"], slice_axis=2)
    t.set_random_state(0)
    seen = set()
    for _ in range(30):
        out = t({"image": vol, "label": vol + 1})
        assert out["image"].shape == (2, 4, 5)
        index = int(out["image"][0, 0, 0].item()) % 6
        torch.testing.assert_close(out["image"], vol[..., index])
        torch.testing.assert_close(out["label"], vol[..., index] + 1)
        seen.add(index)
    assert len(seen) > 3  # random, not always the same slice
    assert RandSliced("image", slice_axis=0)({"image": vol})["image"].shape == (2, 5, 6)


def test_images_pass_through_and_bad_axes_are_refused():
    img = torch.rand(1, 8, 8)
    assert RandSliced("image")({"image": img})["image"] is img
    with pytest.raises(ValueError, match="slice_axis"):
        RandSliced("image", slice_axis=3)
