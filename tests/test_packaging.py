import pytest
import yaml

from medrestore.packaging import (
    WeightsIntegrityError,
    file_sha256,
    record_hashes,
    release_weights,
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


def test_release_is_the_one_way_to_replace_shipped_weights(bundle, tmp_path_factory):
    trained = tmp_path_factory.mktemp("eval") / "model.pt"
    trained.write_bytes(b"weights v2")
    with pytest.raises(FileNotFoundError, match="train first"):
        release_weights(str(bundle), str(trained.parent / "missing.pt"), export=False)
    release_weights(str(bundle), str(trained), export=False)
    assert (bundle / "models" / "model.pt").read_bytes() == b"weights v2"
    assert verify_file(str(bundle / "models" / "model.pt"), str(bundle / "large_files.yml"))
    assert trained.read_bytes() == b"weights v2"  # the source is kept


def test_malformed_hashes_file(bundle):
    (bundle / "large_files.yml").write_text("large_files: nothing here\n")
    with pytest.raises(ValueError, match="expected 'large_files"):
        verify_file(str(bundle / "models" / "model.pt"), str(bundle / "large_files.yml"))


def test_release_with_overrides_exports_a_torchscript_file_that_embeds_them(tmp_path):
    """``model_x4.pt`` of srgan_sr ships with ``model_x4.ts`` whose embedded inference.json says scale 4."""
    import json
    import shutil
    import zipfile

    import torch

    from medrestore.networks import SRResNet
    from tests.conftest import BUNDLES

    bundle = tmp_path / "srgan_sr"
    shutil.copytree(BUNDLES / "srgan_sr" / "configs", bundle / "configs")
    (bundle / "models").mkdir()
    weights = tmp_path / "x4.pt"
    torch.save(SRResNet(scale=4, features=8, num_blocks=1).state_dict(), weights)
    overrides = {"scale": 4, "features": 8, "num_blocks": 1}
    released = release_weights(str(bundle), str(weights), filename="model_x4.pt", overrides=overrides)
    ts = bundle / "models" / "model_x4.ts"
    assert released == [str(bundle / "models" / "model_x4.pt"), str(ts)]
    assert torch.jit.load(str(ts))(torch.rand(1, 1, 5, 6)).shape == (1, 1, 20, 24)
    with zipfile.ZipFile(ts) as zf:
        name = next(n for n in zf.namelist() if n.endswith("extra/inference.json"))
        # rooted at the file's stem: where MONAI Deploy looks for the embedded configs
        assert name.startswith("model_x4/") and json.loads(zf.read(name))["scale"] == 4
    assert verify_bundle(str(bundle)) == ["models/model_x4.pt", "models/model_x4.ts"]
