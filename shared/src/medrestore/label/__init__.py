"""MONAI Label integration: an inference task that returns the restored float image of a bundle,
and a small MONAI Label app that registers every finished bundle. Needs MONAI Label installed without
its pinned torch/numpy (``requirements-label.txt``, then ``pip install --no-deps -r requirements-label-nodeps.txt``)."""
