import h5py
import nibabel as nib
import numpy as np
import pytest

from medrestore.data import KSpaceInputError, list_kspace_items, read_kspace


def _kspace(c=3, h=16, w=12, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((c, h, w)) + 1j * rng.standard_normal((c, h, w))).astype(np.complex64)


def test_fastmri_h5_volume_with_1d_mask_and_rss_reference(tmp_path):
    k = np.stack([_kspace(seed=s) for s in range(3)])
    mask = np.zeros(12, np.float32)
    mask[::2] = 1
    k = k * mask
    with h5py.File(tmp_path / "vol.h5", "w") as f:
        f.create_dataset("kspace", data=k)
        f.create_dataset("mask", data=mask)
        f.create_dataset("reconstruction_rss", data=np.ones((3, 16, 12), np.float32) * np.arange(3)[:, None, None])
    items = list_kspace_items(str(tmp_path))
    assert [it["slice"] for it in items] == [0, 1, 2]
    out = read_kspace(str(tmp_path / "vol.h5"), 2)
    np.testing.assert_array_equal(out["kspace"], k[2])
    assert out["mask"].shape == (16, 12) and out["mask"][:, ::2].all() and not out["mask"][:, 1::2].any()
    assert out["num_slices"] == 3 and np.all(out["target"] == 2)
    with pytest.raises(KSpaceInputError, match="slice 3 requested, the file has 3"):
        read_kspace(str(tmp_path / "vol.h5"), 3)


def test_numpy_nifti_and_npz_inputs(tmp_path):
    k = _kspace()
    k[:, :, 5] = 0  # an unsampled line: the mask is derived from the non-zero samples
    np.save(tmp_path / "a.npy", k)
    nib.save(nib.Nifti1Image(np.moveaxis(k, 0, -1), np.eye(4)), tmp_path / "b.nii.gz")
    maps = _kspace(seed=1)
    np.savez(tmp_path / "c.npz", kspace=k, coil_maps=maps, mask=(np.abs(k).sum(0) > 0).astype(np.float32))
    for name in ("a.npy", "b.nii.gz", "c.npz"):
        out = read_kspace(str(tmp_path / name))
        np.testing.assert_array_equal(out["kspace"], k)
        assert out["mask"].sum() == 16 * 11 and not out["mask"][:, 5].any()
    np.testing.assert_array_equal(read_kspace(str(tmp_path / "c.npz"))["coil_maps"], maps)
    single = read_kspace(str(tmp_path / "a.npy"))
    assert "coil_maps" not in single
    np.save(tmp_path / "d.npy", k[0])
    assert read_kspace(str(tmp_path / "d.npy"))["kspace"].shape == (1, 16, 12)


def test_datalist_items_and_errors(tmp_path):
    np.save(tmp_path / "a.npy", _kspace())
    (tmp_path / "list.json").write_text('{"test": [{"kspace": "a.npy"}], "validation": [{"kspace": "missing.npy"}]}')
    assert list_kspace_items(str(tmp_path), str(tmp_path / "list.json"))[0]["kspace"] == str(tmp_path / "a.npy")
    with pytest.raises(FileNotFoundError, match="missing.npy"):
        list_kspace_items(str(tmp_path), str(tmp_path / "list.json"), "validation")
    with pytest.raises(KeyError, match="no 'training' section"):
        list_kspace_items(str(tmp_path), str(tmp_path / "list.json"), "training")
    np.savez(tmp_path / "maps.npz", kspace=_kspace(), coil_maps=_kspace(c=2))
    with pytest.raises(KSpaceInputError, match=r"maps.npz: coil_maps have shape \(2, 16, 12\), k-space \(3, 16, 12\)"):
        read_kspace(str(tmp_path / "maps.npz"))
    np.save(tmp_path / "tiny.npy", _kspace(h=4, w=4))
    with pytest.raises(KSpaceInputError, match="tiny.npy: k-space has shape"):
        read_kspace(str(tmp_path / "tiny.npy"))
