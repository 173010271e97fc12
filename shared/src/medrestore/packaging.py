"""Weights integrity (``large_files.yml`` SHA-256 records) and shareable bundle archives.

Command line (``fire``)::

    medrestore-bundle hashes bundles/dae_denoise      # record the SHA-256 of models/model.pt and model.ts
    medrestore-bundle verify bundles/dae_denoise      # check them
    medrestore-bundle release bundles/dae_denoise eval/models/model.pt   # ship trained weights (+ model.ts, hashes)
    medrestore-bundle archive dae_denoise --output_dir dist   # dist/dae_denoise.zip

``large_files.yml`` follows the MONAI model-zoo layout (``large_files: [{path, url, hash_val, hash_type}]``)
with an empty ``url``: nothing is downloaded, the records only guard the shipped files. Bundles
check them when they load weights (:class:`medrestore.handlers.CheckpointLoader`, ``hashes_file``).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

import yaml

from medrestore.io import atomic_path

__all__ = [
    "WeightsIntegrityError",
    "build_archive",
    "file_sha256",
    "load_bundle_network",
    "main",
    "record_hashes",
    "release_weights",
    "verify_bundle",
    "verify_file",
]

HASHES_FILE = "large_files.yml"
WEIGHT_FILES = ("models/model.pt", "models/model.ts")
ARCHIVE_CONTENT = ("configs", "models", "docs", "LICENSE", HASHES_FILE)


class WeightsIntegrityError(RuntimeError):
    """A weights file does not match the SHA-256 recorded for it."""


def file_sha256(path: str) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read(hashes_file: str) -> list[dict]:
    with open(hashes_file) as f:
        content = yaml.safe_load(f) or {}
    entries = content.get("large_files", [])
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and "path" in e and "hash_val" in e for e in entries
    ):
        raise ValueError(f"{hashes_file}: expected 'large_files: [{{path, hash_val, hash_type}}, ...]'.")
    return entries


def _write(hashes_file: str, entries: list[dict]) -> None:
    with atomic_path(hashes_file) as tmp, open(tmp, "w") as f:
        f.write(
            "# SHA-256 of the shipped weights, checked when the bundle loads them (medrestore-bundle hashes <bundle>);\n"
            "# no download url: the files ship with the bundle (monai.bundle download_large_files skips them)\n"
        )
        yaml.safe_dump({"large_files": entries}, f, sort_keys=False)


def _entry(bundle_root: str, rel: str) -> dict:
    # the model-zoo layout; "url" is empty because the files ship with the bundle (MONAI's
    # download_large_files skips a file that exists with the recorded hash, and fails on a missing one)
    return {"path": rel, "url": "", "hash_val": file_sha256(os.path.join(bundle_root, rel)), "hash_type": "sha256"}


def record_hashes(bundle_root: str, files=None) -> str:
    """Write ``<bundle_root>/large_files.yml`` with the SHA-256 of the ``files`` that exist (default:
    ``models/model.pt``, ``models/model.ts``, then every other file in ``models/``); returns its path."""
    path = os.path.join(bundle_root, HASHES_FILE)
    if files is None:
        others = sorted(f"models/{n}" for n in os.listdir(os.path.join(bundle_root, "models")))
        files = [*WEIGHT_FILES, *(f for f in others if f not in WEIGHT_FILES)]
    _write(path, [_entry(bundle_root, rel) for rel in files if os.path.isfile(os.path.join(bundle_root, rel))])
    return path


def verify_file(path: str, hashes_file: str | None) -> bool:
    """Check ``path`` against its record in ``hashes_file`` (paths there are relative to the file's
    folder). Returns False when there is nothing to check (no hashes file, or ``path`` not listed,
    e.g. the user's own checkpoint); raises :class:`WeightsIntegrityError` on a mismatch."""
    if not hashes_file or not os.path.isfile(hashes_file):
        return False
    root = os.path.dirname(os.path.abspath(hashes_file))
    target = os.path.realpath(path)
    for entry in _read(hashes_file):
        if os.path.realpath(os.path.join(root, entry["path"])) != target:
            continue
        if str(entry.get("hash_type", "sha256")).lower() != "sha256":
            raise ValueError(f"{hashes_file}: only sha256 records are supported, got {entry.get('hash_type')}.")
        actual = file_sha256(path)
        if actual != entry["hash_val"]:
            raise WeightsIntegrityError(
                f"{path}: SHA-256 {actual[:16]}... does not match {entry['hash_val'][:16]}... recorded in {hashes_file}; "
                "the file was modified, truncated or replaced. Restore the shipped file, or, if you retrained the "
                f"bundle on purpose, ship the new weights with `medrestore-bundle release {root} <model.pt>`."
            )
        return True
    return False


def release_weights(
    bundle_root: str, weights: str, filename: str = "model.pt", export: bool = True, overrides: dict | None = None
) -> list[str]:
    """Make trained ``weights`` the bundle's shipped ``models/<filename>`` (the one deliberate way to
    replace shipped weights: training writes under its own ``output_dir`` only). Copies the file
    atomically, re-exports the TorchScript ``models/<stem>.ts`` from it with ``monai.bundle ckpt_export``
    when ``filename`` is ``model.pt`` or ``overrides`` are given (so a TorchScript file never holds older
    weights), and records the SHA-256 of every file in ``models/`` in ``large_files.yml``.

    ``overrides`` (top-level ``inference.json`` values, e.g. ``{"scale": 4}`` for ``model_x4.pt``) build the
    exported network and are written into the ``inference.json`` embedded in the TorchScript file, so MONAI
    Deploy and Label run it with the same settings. Returns the released paths."""
    import shutil

    if not os.path.isfile(weights):
        raise FileNotFoundError(
            f"weights {weights} do not exist; train first (they are written to <output_dir>/models)."
        )
    configs = os.path.join(bundle_root, "configs")
    target = os.path.join(bundle_root, "models", filename)
    with atomic_path(target) as tmp:
        shutil.copyfile(weights, tmp)
    released = [target]
    if export and (filename == "model.pt" or overrides):
        ts = os.path.join(bundle_root, "models", os.path.splitext(filename)[0] + ".ts")
        # exported under its final name in a hidden folder, then moved into place: a TorchScript archive is
        # rooted at its file's stem, and MONAI Deploy reads the embedded configs from "<stem>/extra/" only
        # (its fallback search finds them but then parses none: the SDK 4.0 operator runs with defaults)
        with tempfile.TemporaryDirectory(dir=os.path.dirname(ts), prefix=".tmp-export-") as tmp:
            config = os.path.join(configs, "inference.json")
            if overrides:
                with open(config) as f:
                    content = json.load(f)
                content.update(overrides)
                config = os.path.join(tmp, "inference.json")
                with open(config, "w") as f:
                    json.dump(content, f, indent=4)
            subprocess.run(
                [
                    sys.executable, "-m", "monai.bundle", "ckpt_export", "--net_id", "network_def",
                    "--filepath", os.path.join(tmp, os.path.basename(ts)), "--ckpt_file", target,
                    "--meta_file", os.path.join(configs, "metadata.json"),
                    "--config_file", config, "--bundle_root", bundle_root,
                ],
                check=True,
            )  # fmt: skip
            os.replace(os.path.join(tmp, os.path.basename(ts)), ts)
        released.append(ts)
    record_hashes(bundle_root)
    print(f"released {', '.join(released)}; recorded in {os.path.join(bundle_root, HASHES_FILE)}")
    return released


def verify_bundle(bundle_root: str) -> list[str]:
    """Check every file recorded in ``<bundle_root>/large_files.yml``; returns the checked paths."""
    hashes_file = os.path.join(bundle_root, HASHES_FILE)
    checked = []
    for entry in _read(hashes_file):
        path = os.path.join(bundle_root, entry["path"])
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path} is recorded in {hashes_file} but missing.")
        verify_file(path, hashes_file)
        checked.append(entry["path"])
    print(f"{bundle_root}: {', '.join(checked)} match {HASHES_FILE}")
    return checked


def load_bundle_network(bundle_root: str, ckpt_path: str | None = None, overrides: dict | None = None):
    """The ``network_def`` of a bundle's ``inference.json`` (top-level ``overrides`` applied, e.g.
    ``{"bias": False}``) with ``ckpt_path`` (default: the config's ``ckpt_path`` under ``bundle_root``, e.g.
    ``models/model_fast.pt`` for modl_recon's ``{"fast": True}``; SHA-256 checked when listed) loaded
    strictly, in eval mode, on the CPU."""
    import torch
    from monai.bundle import ConfigParser

    parser = ConfigParser()
    parser.read_config(os.path.join(bundle_root, "configs", "inference.json"))
    parser["bundle_root"] = bundle_root
    for key, value in (overrides or {}).items():
        parser[key] = value
    net = parser.get_parsed_content("network_def")
    ckpt_path = ckpt_path or parser.get_parsed_content("ckpt_path")
    verify_file(ckpt_path, os.path.join(bundle_root, HASHES_FILE))
    net.load_state_dict(torch.load(ckpt_path, map_location="cpu"))
    return net.eval()


def _shared_wheel(dest: str) -> str:
    """Build the ``medrestore`` wheel (pure Python) into ``dest``; returns its path."""
    shared = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", dest, shared],
        check=True,
    )
    wheels = [n for n in os.listdir(dest) if n.startswith("medrestore-") and n.endswith(".whl")]
    if len(wheels) != 1:
        raise RuntimeError(f"expected one medrestore wheel in {dest}, found {wheels}")
    return os.path.join(dest, wheels[0])


def build_archive(name: str, output_dir: str = "dist", bundles_dir: str | None = None) -> str:
    """Build ``<output_dir>/<name>.zip``: the bundle (configs, models, docs, LICENSE,
    ``large_files.yml``, checked first) plus the ``medrestore`` wheel in ``<name>/wheels/``.

    After unzipping, ``pip install --no-deps <name>/wheels/medrestore-*.whl`` on a machine with the
    pinned packages (``metadata.json``) is all the bundle needs. Returns the archive path.
    """
    from medrestore.cli.demo import REPO

    bundle = os.path.join(bundles_dir or os.path.join(REPO, "bundles"), name)
    if not os.path.isfile(os.path.join(bundle, "configs", "metadata.json")):
        raise FileNotFoundError(f"{bundle} is not a bundle (no configs/metadata.json).")
    verify_bundle(bundle)
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, f"{name}.zip")
    with tempfile.TemporaryDirectory() as tmp:
        wheel = _shared_wheel(tmp)
        with atomic_path(path) as tmp_zip, zipfile.ZipFile(tmp_zip, "w", zipfile.ZIP_DEFLATED) as zf:
            for item in ARCHIVE_CONTENT:
                src = os.path.join(bundle, item)
                if os.path.isfile(src):
                    zf.write(src, f"{name}/{item}")
                    continue
                for root, dirs, files in os.walk(src):
                    dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
                    for fname in sorted(files):
                        full = os.path.join(root, fname)
                        zf.write(full, f"{name}/{os.path.relpath(full, bundle)}")
            zf.write(wheel, f"{name}/wheels/{os.path.basename(wheel)}")
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB)")
    return path


def main() -> None:
    import fire

    fire.Fire({"hashes": record_hashes, "verify": verify_bundle, "archive": build_archive, "release": release_weights})


if __name__ == "__main__":
    main()
