"""A MONAI Label app serving every finished medrestore bundle as a restoration task.

    monailabel start_server --app <repo>/shared/src/medrestore/label --studies /path/to/images  # main.py

(or ``RestorationLabelApp(app_dir, studies, conf)`` in Python). ``conf["bundles"]`` (comma-separated
names) limits the bundles; by default every ``bundles/<name>`` with a ``models/model.ts`` is served.
"""

from __future__ import annotations

from monailabel.interfaces.app import MONAILabelApp

from medrestore.label.bundles import available_bundles
from medrestore.label.tasks import RestorationInferTask  # registers the torchvision stub first

__all__ = ["RestorationLabelApp", "available_bundles"]


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
