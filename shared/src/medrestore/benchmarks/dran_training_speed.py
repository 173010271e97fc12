"""What a DRAN design costs per CPU-second: training-step and inference time of candidate sizes.

    python -m medrestore.benchmarks.dran_training_speed --output_dir docs/benchmarks

Times one Adam step on 16 patches of 64 x 64 (the shipped batch) and one 256 x 256 inference for the
paper-size network, the shipped space-to-depth network and smaller variants, in one run on this
machine. Writes ``dran_training_speed.md`` and ``.json``.
"""

from __future__ import annotations

import os

import torch

from medrestore.benchmarks.report import machine, write_json, write_lines
from medrestore.benchmarks.timing import median_seconds
from medrestore.networks import DRAN

VARIANTS = {
    "paper size (64 ch, full resolution)": {"channels": 64, "downscale": 1},
    "shipped (64 ch, space-to-depth x2)": {"channels": 64, "downscale": 2},
    "48 ch, space-to-depth x2": {"channels": 48, "downscale": 2},
    "32 ch, full resolution": {"channels": 32, "downscale": 1},
}


def run(output_dir: str = "docs/benchmarks", repeats: int = 5) -> dict:
    torch.manual_seed(0)
    rows = {}
    for name, kwargs in VARIANTS.items():
        net = DRAN(**kwargs)
        opt = torch.optim.Adam(net.parameters(), 1e-3)
        x, y = torch.rand(16, 1, 64, 64), torch.rand(16, 1, 64, 64)

        def step(net=net, opt=opt, x=x, y=y):
            loss = (net(x) - y).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()

        img = torch.rand(1, 1, 256, 256)
        net_eval = net.eval()

        def infer(net_eval=net_eval, img=img):
            with torch.inference_mode():
                net_eval(img)

        net.train()
        train_s = median_seconds(step, repeats)
        net.eval()
        rows[name] = {
            "kwargs": kwargs,
            "parameters": sum(p.numel() for p in net.parameters()),
            "train_step_s": train_s,
            "patches_per_s": 16 / train_s,
            "infer_256_s": median_seconds(infer, repeats),
        }
        print(name, rows[name], flush=True)
    result = {
        "command": "python -m medrestore.benchmarks.dran_training_speed --output_dir docs/benchmarks",
        "machine": machine(),
        "variants": rows,
    }
    write_json(os.path.join(output_dir, "dran_training_speed.json"), result)
    lines = [
        "# DRAN: cost per CPU-second of candidate sizes",
        "",
        f"Reproduce: `{result['command']}`. Machine: {result['machine']}. Median of {repeats} runs.",
        "",
        "| variant | parameters | train step, 16 × 64² (s) | patches / s | inference 256² (s) |",
        "|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['parameters'] / 1e6:.2f} M | {r['train_step_s']:.3f} | {r['patches_per_s']:.0f} | {r['infer_256_s']:.3f} |"
        )
    write_lines(os.path.join(output_dir, "dran_training_speed.md"), [*lines, ""])
    return result


def main() -> None:
    import fire

    fire.Fire(lambda **kwargs: run(**kwargs) and None)


if __name__ == "__main__":
    main()
