import json

import numpy as np
import pytest

from medrestore.data import load_image_datalist


def test_folder_listing_includes_series_folders(tmp_path):
    (tmp_path / "a.nii.gz").write_bytes(b"")
    np.save(tmp_path / "b.npy", np.zeros((4, 4)))
    (tmp_path / "series").mkdir()
    (tmp_path / "series" / "x.dcm").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("ignored")
    items = load_image_datalist(str(tmp_path))
    assert [i["image"].split("/")[-1] for i in items] == ["a.nii.gz", "b.npy", "series"]


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_image_datalist(str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError, match="holds no images"):
        load_image_datalist(str(tmp_path))


def test_datalist_with_missing_file_names_it(tmp_path):
    path = tmp_path / "list.json"
    path.write_text(json.dumps({"test": [{"image": "gone.nii.gz"}]}))
    with pytest.raises(FileNotFoundError, match="gone.nii.gz"):
        load_image_datalist(str(tmp_path), str(path))
    with pytest.raises(KeyError, match="no 'validation' section"):
        load_image_datalist(str(tmp_path), str(path), key="validation")
