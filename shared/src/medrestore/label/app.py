"""A MONAI Label app serving every finished medrestore bundle as a restoration task.

    monailabel start_server --app <repo>/shared/src/medrestore/label --studies /path/to/images  # main.py

(or ``RestorationLabelApp(app_dir, studies, conf)`` in Python). ``conf["bundles"]`` (comma-separated
names) limits the bundles; by default every ``bundles/<name>`` with a ``models/model.ts`` is served.
"""

from __future__ import annotations

import os

from monailabel.interfaces.app import MONAILabelApp

from medrestore.label.tasks import RestorationInferTask  # registers the torchvision stub first

__all__ = ["RestorationLabelApp", "available_bundles"]

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


class RestorationLabelApp(MONAILabelApp):
    def __init__(self, app_dir: str, studies: str, conf: dict) -> None:
        self.bundles = available_bundles(conf.get("bundles_dir"))
        if conf.get("bundles"):
            wanted = [b.strip() for b in conf["bundles"].split(",")]
            unknown = sorted(set(wanted) - set(self.bundles))
            if unknown:
                raise ValueError(f"unknown bundle(s) {unknown}; available: {sorted(self.bundles)}")
            self.bundles = {b: self.bundles[b] for b in wanted}
        super().__init__(
            app_dir=app_dir,
            studies=studies,
            conf=conf,
            name="medrestore",
            description="Image restoration bundles (float output)",
        )

    def init_infers(self):
        return {name: RestorationInferTask(path) for name, path in self.bundles.items()}
