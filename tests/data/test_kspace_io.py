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


def test_fastmri_single_coil_h5_reads_slices_not_coils(tmp_path):
    k = _kspace(c=4)  # a single-coil fastMRI file: kspace (slices, H, W)
    with h5py.File(tmp_path / "single.h5", "w") as f:
        f.create_dataset("kspace", data=k)
    items = list_kspace_items(str(tmp_path))
    assert [it["slice"] for it in items] == [0, 1, 2, 3]
    out = read_kspace(str(tmp_path / "single.h5"), 2)
    assert out["kspace"].shape == (1, 16, 12) and out["num_slices"] == 4
    np.testing.assert_array_equal(out["kspace"][0], k[2])


def test_mask_stored_as_0_255_gives_the_same_inputs_as_0_1(tmp_path):
    k = _kspace()
    mask = (np.random.default_rng(1).random((16, 12)) > 0.5).astype(np.float32)
    np.savez(tmp_path / "a.npz", kspace=k * mask, mask=mask)
    np.savez(tmp_path / "b.npz", kspace=k * mask, mask=(mask * 255).astype(np.uint8))
    a, b = read_kspace(str(tmp_path / "a.npz")), read_kspace(str(tmp_path / "b.npz"))
    np.testing.assert_array_equal(a["mask"], b["mask"])
    np.testing.assert_array_equal(a["kspace"], b["kspace"])
    np.savez(tmp_path / "soft.npz", kspace=k, mask=np.linspace(0, 1, 16 * 12).reshape(16, 12))
    with pytest.raises(KSpaceInputError, match="mask must hold 0 and one sampled value"):
        read_kspace(str(tmp_path / "soft.npz"))


def test_full_kspace_with_a_mask_uses_only_the_masked_samples(tmp_path):
    k = _kspace()
    mask = np.zeros((16, 12), np.float32)
    mask[:, ::3] = 1
    np.savez(tmp_path / "full.npz", kspace=k, mask=mask)  # fully sampled k-space plus a mask
    np.savez(tmp_path / "masked.npz", kspace=k * mask, mask=mask)
    full, masked = read_kspace(str(tmp_path / "full.npz")), read_kspace(str(tmp_path / "masked.npz"))
    np.testing.assert_array_equal(full["kspace"], masked["kspace"])


def test_all_zero_kspace_is_refused(tmp_path):
    np.savez(tmp_path / "zeros.npz", kspace=np.zeros((2, 16, 12), np.complex64), mask=np.ones((16, 12), np.float32))
    with pytest.raises(KSpaceInputError, match="zeros.npz.*k-space is all zeros"):
        read_kspace(str(tmp_path / "zeros.npz"))
