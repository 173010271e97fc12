import pytest
import torch

from medrestore.physics.masks import cartesian_mask, poisson_disc_mask


@pytest.mark.parametrize("acceleration", [4, 8])
def test_poisson_disc_reaches_the_acceleration_with_a_full_calibration_region(acceleration):
    mask = poisson_disc_mask((96, 80), acceleration, calibration=12, seed=1)
    assert mask.shape == (96, 80) and mask.dtype == torch.float32
    assert 96 * 80 / mask.sum().item() == pytest.approx(acceleration, rel=0.05)
    assert mask[42:54, 34:46].min() == 1  # centred calibration square
    assert mask[30:66, 25:55].mean() > 2 * mask[:20, :20].mean()  # variable density


def test_poisson_disc_is_seeded():
    a, b = poisson_disc_mask((64, 64), 4, calibration=8, seed=3), poisson_disc_mask((64, 64), 4, calibration=8, seed=3)
    assert torch.equal(a, b) and not torch.equal(a, poisson_disc_mask((64, 64), 4, calibration=8, seed=4))


def test_poisson_disc_rejects_unreachable_accelerations():
    with pytest.raises(ValueError, match="not reachable"):
        poisson_disc_mask((32, 32), 8, calibration=24)


@pytest.mark.parametrize("kind", ["random", "equispaced"])
def test_cartesian_masks_sample_whole_columns_and_the_centre(kind):
    mask = cartesian_mask((40, 96), 4, center_fraction=0.08, kind=kind, seed=2)
    assert mask.shape == (40, 96)
    assert torch.equal(mask, mask[:1].expand_as(mask))  # phase encoding along the last axis
    assert mask[:, 45:51].min() == 1  # 8 % of 96 columns around the centre
    if kind == "equispaced":
        assert 96 / mask[0].sum().item() == pytest.approx(4, rel=0.15)
    assert torch.equal(mask, cartesian_mask((40, 96), 4, kind=kind, seed=2))


def test_cartesian_mask_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind must be"):
        cartesian_mask((8, 8), 4, kind="radial")
