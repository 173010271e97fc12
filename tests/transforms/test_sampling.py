import pytest
import torch

from medrestore.transforms import EvenSlicesd, HoldOutMaskd, RandSliced


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


def test_even_slices_are_fixed_evenly_spaced_samples_with_the_same_index_for_every_key():
    vol = torch.arange(1 * 3 * 4 * 8, dtype=torch.float32).reshape(1, 3, 4, 8)
    samples = EvenSlicesd(["image", "label"], slice_axis=2, num_slices=4)({"image": vol, "label": -vol, "n": 1})
    assert [int(s["image"][0, 0, 0].item()) for s in samples] == [1, 3, 5, 7]  # centres of 4 equal parts
    for s in samples:
        torch.testing.assert_close(s["label"], -s["image"])
        assert s["image"].shape == (1, 3, 4) and s["n"] == 1
    assert len(EvenSlicesd("image", num_slices=20)({"image": vol})) == 8  # never the same slice twice
    img = torch.rand(1, 8, 8)
    assert EvenSlicesd("image")({"image": img})[0]["image"] is img
    with pytest.raises(ValueError, match="num_slices"):
        EvenSlicesd("image", num_slices=0)


def test_hold_out_mask_holds_out_one_block_in_period_spread_over_the_image():
    img = torch.rand(1, 64, 80)
    held = HoldOutMaskd("image", block_size=8, period=5)({"image": img})["holdout"]
    fitted = HoldOutMaskd("image", mask_key="fit", block_size=8, period=5, held_out=False)({"image": img})["fit"]
    assert held.shape == (1, 64, 80) and held.dtype == torch.float32
    torch.testing.assert_close(held + fitted, torch.ones_like(held))  # complementary
    assert held.mean().item() == pytest.approx(0.2)
    assert (held[0].reshape(8, 8, 10, 8).amax(dim=(1, 3)).sum(dim=1) == 2).all()  # every block row holds some
    torch.testing.assert_close(held, HoldOutMaskd("image")({"image": torch.zeros(1, 64, 80)})["holdout"])  # fixed
    vol = HoldOutMaskd("image", block_size=4, period=5)({"image": torch.rand(1, 20, 20, 20)})["holdout"]
    assert vol.mean().item() == pytest.approx(0.2)
    with pytest.raises(ValueError, match="period"):
        HoldOutMaskd("image", period=1)
