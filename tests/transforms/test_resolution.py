import numpy as np
import pytest
import torch
from monai.data import MetaTensor

from medrestore.physics.resolution import bicubic_upsample, degrade
from medrestore.transforms import (
    CropBorderd,
    DegradeResolutiond,
    LowResolutionConsistencyd,
    ThickSliceDegraded,
    UpscaleGeometryd,
    upscaled_affine,
)

AFFINE = np.array([[0.0, -0.8, 0.0, 10.0], [0.7, 0.0, 0.0, -5.0], [0.0, 0.0, 3.0, 2.0], [0.0, 0.0, 0.0, 1.0]])


def test_seeded_item_is_degraded_identically_and_named():
    t = DegradeResolutiond("label", "image", scale=4)
    hr = MetaTensor(torch.rand(1, 67, 50))
    a, b = t({"label": hr, "noise_seed": 7}), t({"label": hr, "noise_seed": 7})
    assert a["image"].shape == (1, 16, 12) and a["label"].shape == (1, 64, 48)  # cropped to a multiple of 4
    assert torch.equal(a["image"], b["image"]) and a["degradation"] == b["degradation"]
    kinds = {t({"label": hr, "noise_seed": s})["degradation"] for s in range(30)}
    assert kinds == {"bicubic", "kspace", "blur"}


def test_item_may_name_its_degradation():
    t = DegradeResolutiond("label", "image", scale=2, noise_prob=0.0)
    out = t({"label": torch.rand(1, 32, 32), "degradation": "kspace", "noise_seed": 1})
    assert out["degradation"] == "kspace"


def test_upscaled_affine_keeps_world_coordinates():
    new = upscaled_affine(AFFINE, [2.0, 2.0, 1.0])
    point = np.array([3.2, 4.7, 1.0, 1.0])  # a point in input voxel coordinates
    same = np.array([2 * (3.2 + 0.5) - 0.5, 2 * (4.7 + 0.5) - 0.5, 1.0, 1.0])  # the same point, output voxels
    assert np.allclose(AFFINE @ point, new @ same)
    assert np.allclose(np.linalg.norm(new[:3, :3], axis=0), [0.35, 0.4, 3.0])  # spacing / 2 in-plane


def test_upscale_geometry_on_a_volume_output():
    pred = MetaTensor(torch.rand(1, 64, 48, 5), affine=torch.as_tensor(AFFINE))
    out = UpscaleGeometryd("pred", 4)({"pred": pred})["pred"]
    corner = AFFINE @ np.array([-0.5, -0.5, 0.0, 1.0])
    assert np.allclose(np.asarray(out.affine) @ np.array([-0.5, -0.5, 0.0, 1.0]), corner)
    assert np.allclose(np.linalg.norm(np.asarray(out.affine)[:3, :3], axis=0), [0.175, 0.2, 3.0])


def test_upscale_geometry_follows_the_slice_axis_and_explicit_axes():
    pred = MetaTensor(torch.rand(1, 16, 64, 48), affine=torch.as_tensor(AFFINE))
    out = UpscaleGeometryd("pred", 4, slice_axis=0)({"pred": pred})["pred"]
    assert np.allclose(np.linalg.norm(np.asarray(out.affine)[:3, :3], axis=0), [0.7, 0.2, 0.75])
    through = UpscaleGeometryd("pred", 4, axes=[2])({"pred": MetaTensor(pred.clone(), affine=pred.affine)})["pred"]
    assert np.allclose(np.linalg.norm(np.asarray(through.affine)[:3, :3], axis=0), [0.7, 0.8, 0.75])
    flat = UpscaleGeometryd("pred", 2, slice_axis=0)({"pred": MetaTensor(torch.rand(1, 8, 6))})["pred"]
    assert np.allclose(np.diag(np.asarray(flat.affine))[:2], [0.5, 0.5])  # 2D: both axes, whatever slice_axis


@pytest.mark.parametrize("kind", ["bicubic", "kspace", "blur"])
def test_consistency_is_reported_and_enforced(kind, capsys):
    torch.manual_seed(0)
    hr = torch.rand(1, 32, 24).clamp(0.1, 0.9)
    lr = degrade(hr, 2, kind)
    sr = bicubic_upsample(lr, 2)  # a plausible, not consistent, output
    before = float(torch.mean((degrade(sr, 2, kind) - lr) ** 2))
    t = LowResolutionConsistencyd("pred", scale=2, degradation=kind, enforce=True, iterations=20)
    out = t({"pred": MetaTensor(sr.clone()), "image": lr})["pred"]
    after = float(torch.mean((degrade(out, 2, kind) - lr) ** 2))
    assert isinstance(out, MetaTensor) and out.shape == sr.shape
    assert after < 0.1 * before
    assert "after back-projection" in capsys.readouterr().out


def test_consistency_of_a_volume_goes_slice_by_slice(capsys):
    hr = torch.rand(1, 16, 12, 3)  # (C, H, W, D), slices along axis 2
    lr = torch.stack([degrade(hr[..., k], 2, "kspace") for k in range(3)], dim=-1)
    LowResolutionConsistencyd("pred", scale=2, degradation="kspace", slice_axis=2)({"pred": hr, "image": lr})
    psnr = float(capsys.readouterr().out.split("consistency ")[1].split(" dB")[0])
    assert psnr > 60  # the HR volume itself is consistent with its own truncation


def test_consistency_refuses_an_unknown_degradation():
    with pytest.raises(ValueError, match="unknown degradation 'gauss'"):
        LowResolutionConsistencyd("pred", degradation="gauss")


def test_crop_border():
    out = CropBorderd(["pred", "label"], 2)({"pred": torch.zeros(1, 10, 12), "label": torch.zeros(1, 10, 12)})
    assert out["pred"].shape == (1, 6, 8) and out["label"].shape == (1, 6, 8)


def test_thick_slice_pairs_blur_only_along_the_rows():
    hr = torch.zeros(1, 34, 20)
    hr[:, :, 10:] = 1.0  # an edge across the columns: rows are constant, thick slices keep it sharp
    out = ThickSliceDegraded("label", "image", scale=4)({"label": hr})
    assert out["label"].shape == out["image"].shape == (1, 32, 20)  # cropped to a multiple of 4 rows
    torch.testing.assert_close(out["image"], out["label"], atol=1e-5, rtol=0)
    across = ThickSliceDegraded("label", "image", scale=4)({"label": hr.transpose(1, 2).contiguous()})
    assert float((across["image"] - across["label"]).abs().max()) > 0.1  # an edge across the slices is blurred
