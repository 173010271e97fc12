import numpy as np
import torch
from monai.data import MetaTensor

from medrestore.transforms import CropBorderd, DegradeResolutiond, UpscaleGeometryd, upscaled_affine

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


def test_crop_border():
    out = CropBorderd(["pred", "label"], 2)({"pred": torch.zeros(1, 10, 12), "label": torch.zeros(1, 10, 12)})
    assert out["pred"].shape == (1, 6, 8) and out["label"].shape == (1, 6, 8)
