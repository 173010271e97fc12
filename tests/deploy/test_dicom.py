"""The derived-series writer on its own (pydicom only, runs in the main environment)."""

import numpy as np
import pydicom
import pytest

from medrestore.deploy.dicom import describe, read_series, write_derived_series
from tests.conftest import write_dicom_series


def test_slice_count_must_match_and_nothing_is_left_behind(tmp_path):
    series = write_dicom_series(tmp_path / "s", num_slices=2)
    out = tmp_path / "out" / "s_restored_dicom"
    with pytest.raises(ValueError, match="3 slices but .* has 2 instances"):
        write_derived_series(np.zeros((128, 128, 3)), str(series), str(out), "x")
    assert not out.exists() and not list(tmp_path.rglob(".tmp-*"))


def test_values_are_stored_through_rescale_and_clipped(tmp_path):
    series = write_dicom_series(tmp_path / "s", num_slices=1)
    src = read_series(str(series))[0]
    hu = np.full((128, 128), 40.0)
    hu[0, 0] = 1e9  # beyond the stored type: clipped, not wrapped
    files = write_derived_series(hu, str(series), str(tmp_path / "o"), describe("dae_denoise", "0.1.0", "Head"))
    ds = pydicom.dcmread(files[0])
    stored = ds.pixel_array
    assert stored.dtype == src.pixel_array.dtype
    assert stored[0, 1] * float(ds.RescaleSlope) + float(ds.RescaleIntercept) == pytest.approx(
        40.0, abs=float(ds.RescaleSlope)
    )
    assert stored[0, 0] == np.iinfo(stored.dtype).max
    assert ds.SeriesDescription == "restored by dae_denoise 0.1.0 (Head)"
    assert describe("cyclegan_translate", "0.2.0", "T1", action="synthetic T2 by") == (
        "synthetic T2 by cyclegan_translate 0.2.0 (T1)"
    )


def _pixel_corner(ds) -> np.ndarray:
    """World position of the outer corner of pixel (0, 0)."""
    orient = np.asarray(ds.ImageOrientationPatient, dtype=float)
    rows_apart, cols_apart = (float(v) for v in ds.PixelSpacing)
    return np.asarray(ds.ImagePositionPatient, dtype=float) - 0.5 * (cols_apart * orient[:3] + rows_apart * orient[3:])


def test_super_resolved_series_gets_the_finer_geometry_of_the_same_field_of_view(tmp_path):
    series = write_dicom_series(tmp_path / "s", num_slices=2)
    sources = read_series(str(series))
    for src in sources:  # an oblique, anisotropic source
        src.ImageOrientationPatient = [0.8, 0.6, 0.0, 0.0, 0.0, -1.0]
        src.PixelSpacing = [0.9, 0.7]
        src.save_as(src.filename)
    sources = read_series(str(series))
    hu = np.random.default_rng(0).uniform(0, 100, (256, 256, 2))  # (x, y, z): twice 128 x 128
    files = write_derived_series(hu, str(series), str(tmp_path / "o"), describe("srgan_sr", "0.1.0"))
    for src, path in zip(sources, files):
        ds = pydicom.dcmread(path)
        assert (ds.Rows, ds.Columns) == (256, 256) and ds.pixel_array.shape == (256, 256)
        assert [float(v) for v in ds.PixelSpacing] == pytest.approx([0.45, 0.35])
        np.testing.assert_allclose(_pixel_corner(ds), _pixel_corner(src), atol=1e-6)  # same field of view
    with pytest.raises(ValueError, match=r"integer multiple"):
        write_derived_series(np.zeros((200, 256, 2)), str(series), str(tmp_path / "bad"), "x")
