import numpy as np
import pytest
import torch
from monai.data import MetaTensor

from medrestore.transforms import ImageInputError, LoadImageCheckedd, ValidateImaged


def _img(arr, name="scan.nii.gz"):
    return MetaTensor(torch.as_tensor(arr), meta={"filename_or_obj": name})


def test_nan_named():
    arr = np.ones((1, 8, 8), np.float32)
    arr[0, 2, 3] = np.nan
    with pytest.raises(ImageInputError, match=r"scan\.nii\.gz: 1 of 64 voxels are NaN"):
        ValidateImaged("image")({"image": _img(arr)})


def test_4d_rejected_with_shape():
    with pytest.raises(ImageInputError, match="4 spatial dimensions"):
        ValidateImaged("image")({"image": _img(np.zeros((1, 4, 4, 4, 2), np.float32))})


def test_multichannel_rejected():
    with pytest.raises(ImageInputError, match="3 channels or time points"):
        ValidateImaged("image")({"image": _img(np.zeros((3, 4, 4), np.float32))})


def test_good_image_passes():
    d = {"image": _img(np.zeros((1, 4, 4, 3), np.float32))}
    assert ValidateImaged("image")(d)["image"] is d["image"]


def test_corrupt_file_named(tmp_path):
    bad = tmp_path / "broken.dcm"
    bad.write_bytes(b"DICM" + b"\x00" * 64)
    with pytest.raises(ImageInputError, match=r"broken\.dcm.*Expected NIfTI"):
        LoadImageCheckedd("image", image_only=True)({"image": str(bad)})
