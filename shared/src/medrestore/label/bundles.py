"""Which bundles the MONAI Label app serves (importable without MONAI Label)."""

from __future__ import annotations

import os

__all__ = ["available_bundles"]

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), *[".."] * 4))


def available_bundles(bundles_dir: str | None = None) -> dict[str, str]:
    """``name -> bundle folder`` for every image-to-image bundle with an exported ``models/model.ts``
    (reconstruction bundles, whose input is k-space rather than an image, are left out)."""
    import json

    root = bundles_dir or os.path.join(REPO, "bundles")
    found = {}
    for name in sorted(os.listdir(root)):
        if not os.path.isfile(os.path.join(root, name, "models", "model.ts")):
            continue
        with open(os.path.join(root, name, "configs", "metadata.json")) as f:
            if "kspace" in json.load(f)["network_data_format"]["inputs"]:
                continue
        found[name] = os.path.join(root, name)
    return found
