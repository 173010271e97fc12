import os

import pytest
import yaml

from medrestore.packaging import (
    WeightsIntegrityError,
    file_sha256,
    record_hashes,
    record_trained_weights,
    verify_bundle,
    verify_file,
)


@pytest.fixture
def bundle(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "model.pt").write_bytes(b"weights v1")
    (tmp_path / "models" / "model.ts").write_bytes(b"torchscript v1")
    record_hashes(str(tmp_path))
    return tmp_path


def test_records_follow_the_model_zoo_layout(bundle):
    content = yaml.safe_load((bundle / "large_files.yml").read_text())
    assert [e["path"] for e in content["large_files"]] == ["models/model.pt", "models/model.ts"]
    assert content["large_files"][0]["hash_val"] == file_sha256(str(bundle / "models" / "model.pt"))
    assert all(e["hash_type"] == "sha256" for e in content["large_files"])
    assert verify_bundle(str(bundle)) == ["models/model.pt", "models/model.ts"]


def test_tampered_weights_give_a_clear_error(bundle):
    hashes = str(bundle / "large_files.yml")
    assert verify_file(str(bundle / "models" / "model.pt"), hashes)
    (bundle / "models" / "model.pt").write_bytes(b"weights v1 + an extra byte")
    with pytest.raises(
        WeightsIntegrityError, match=r"model.pt: SHA-256 .* does not match .* recorded in .*large_files.yml"
    ):
        verify_file(str(bundle / "models" / "model.pt"), hashes)
    with pytest.raises(WeightsIntegrityError):
        verify_bundle(str(bundle))


def test_unlisted_or_unrecorded_files_are_not_checked(bundle, tmp_path_factory):
    own = tmp_path_factory.mktemp("user") / "my_model.pt"
    own.write_bytes(b"a user's checkpoint")
    assert verify_file(str(own), str(bundle / "large_files.yml")) is False
    assert verify_file(str(bundle / "models" / "model.pt"), None) is False
    assert verify_file(str(bundle / "models" / "model.pt"), str(bundle / "missing.yml")) is False


def test_retraining_into_the_bundle_updates_only_model_pt(bundle, tmp_path_factory):
    old_ts = yaml.safe_load((bundle / "large_files.yml").read_text())["large_files"][1]
    other = tmp_path_factory.mktemp("elsewhere")
    (other / "model.pt").write_bytes(b"trained elsewhere")
    assert record_trained_weights(str(other), str(bundle)) is False  # --ckpt_dir outside the bundle: untouched
    (bundle / "models" / "model.pt").write_bytes(b"weights v2")
    with pytest.raises(WeightsIntegrityError):
        verify_file(str(bundle / "models" / "model.pt"), str(bundle / "large_files.yml"))
    assert record_trained_weights(os.path.join(str(bundle), "models"), str(bundle)) is True
    assert verify_file(str(bundle / "models" / "model.pt"), str(bundle / "large_files.yml"))
    entries = yaml.safe_load((bundle / "large_files.yml").read_text())["large_files"]
    assert entries[1] == old_ts


def test_malformed_hashes_file(bundle):
    (bundle / "large_files.yml").write_text("large_files: nothing here\n")
    with pytest.raises(ValueError, match="expected 'large_files"):
        verify_file(str(bundle / "models" / "model.pt"), str(bundle / "large_files.yml"))
