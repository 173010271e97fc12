"""The model zoo's own file checks, for every bundle: ``large_files.yml`` in the zoo layout
(``path``, ``url``, ``hash_val``, ``hash_type``), accepted offline by ``monai.bundle
download_large_files`` (a present file with the recorded hash is not downloaded)."""

from __future__ import annotations

import yaml

from tests.conftest import BUNDLES, run_bundle


def test_large_files_follow_the_zoo_layout_and_need_no_download(case, tmp_path):
    bundle = BUNDLES / case.name
    entries = yaml.safe_load((bundle / "large_files.yml").read_text())["large_files"]
    assert {e["path"] for e in entries} >= {"models/model.pt", "models/model.ts"}
    assert all(set(e) == {"path", "url", "hash_val", "hash_type"} and e["hash_type"] == "sha256" for e in entries)
    proc = run_bundle(["monai.bundle", "download_large_files", "--bundle_path", str(bundle)], cwd=tmp_path)
    text = proc.stdout + proc.stderr
    for entry in entries:
        assert f"File exists: {bundle / entry['path']}, skipped downloading." in text, text[-2000:]
