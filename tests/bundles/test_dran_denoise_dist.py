"""Two-process DDP training of dran_denoise with the gloo backend on CPU (torchrun)."""

from __future__ import annotations

import torch

from tests.bundles.test_dran_denoise import CONFIGS, train_args
from tests.conftest import run_bundle


def test_two_process_gloo_training(tiny_dataset, tmp_path):
    out = tmp_path / "ddp"
    overlay = f"['{CONFIGS / 'train.json'}','{CONFIGS / 'multi_gpu_train.json'}']"
    proc = run_bundle(
        ["torch.distributed.run", "--standalone", "--nnodes=1", "--nproc_per_node=2", "-m"]
        + train_args(tiny_dataset, out, epochs=2, config_file=overlay),
        cwd=tmp_path,
        env={"OMP_NUM_THREADS": "1"},
    )
    log = proc.stdout + proc.stderr
    # 6 training images, 4 per batch, 2 ranks: each rank sees 3 images = 1 iteration per epoch
    assert "Epoch: 2/2, Iter: 1/1" in log
    assert log.count("Key metric: val_psnr best value") == 2  # logged by rank 0 only, once per epoch
    state = torch.load(out / "models" / "model.pt", map_location="cpu")
    assert state and all(not k.startswith("module.") for k in state)
    assert (out / "checkpoints" / "checkpoint_epoch=2.pt").is_file()
