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
