"""Two-process DDP training of dran_denoise with the gloo backend on CPU (torchrun)."""

from __future__ import annotations

import torch

from tests.bundles.test_dran_denoise import BUNDLE, CONFIGS
from tests.conftest import TINY_NET, run_bundle


def test_two_process_gloo_training(tiny_dataset, tmp_path):
    out = tmp_path / "ddp"
    proc = run_bundle(
        [
            "torch.distributed.run",
            "--standalone",
            "--nnodes=1",
            "--nproc_per_node=2",
            "-m",
            "monai.bundle",
            "run",
            "--config_file",
            f"['{CONFIGS / 'train.json'}','{CONFIGS / 'multi_gpu_train.json'}']",
            "--bundle_root",
            str(BUNDLE),
            "--dataset_dir",
            str(tiny_dataset),
            "--output_dir",
            str(out),
            "--ckpt_dir",
            str(out / "models"),
            "--epochs",
            "2",
            "--val_interval",
            "1",
            *TINY_NET,
        ],
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
