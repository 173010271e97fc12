import gc
import inspect

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from medrestore.distributed import shutdown_process_group


def test_shutdown_releases_every_ddp_module_and_the_group(tmp_path):
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        torch.manual_seed(0)
        wrapped = [DistributedDataParallel(torch.nn.Linear(3, 2)) for _ in range(2)]
        for net in wrapped:  # a training step leaves reducer work behind, as at the end of an epoch
            net(torch.ones(4, 3)).sum().backward()
        group = wrapped[0].process_group
        x = torch.randn(5, 3)
        expected = wrapped[0].module(x)
    finally:
        shutdown_process_group()

    assert not dist.is_initialized()
    for net in wrapped:
        assert not any(hasattr(net, name) for name in ("reducer", "logger", "process_group"))
    # no Python object but this test's frame holds the group any more
    gc.collect()
    assert [r for r in gc.get_referrers(group) if not inspect.isframe(r)] == []
    torch.testing.assert_close(wrapped[0].module(x), expected)  # the trained parameters are kept


def test_shutdown_without_a_group_does_nothing():
    assert not dist.is_initialized()
    shutdown_process_group()
    assert not dist.is_initialized()
