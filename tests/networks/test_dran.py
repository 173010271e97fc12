import pytest
import torch

from medrestore.layers import DynamicConv2d
from medrestore.networks import DRAN


@pytest.mark.parametrize("downscale", [1, 2])
@pytest.mark.parametrize("shape", [(1, 1, 37, 31), (2, 1, 64, 64), (1, 1, 5, 9)])
def test_any_size(downscale, shape):
    net = DRAN(channels=8, num_blocks=2, layers_per_block=2, downscale=downscale)
    assert net(torch.rand(shape)).shape == shape


def test_output_is_input_minus_residual_clamped():
    torch.manual_seed(0)
    net = DRAN(channels=8, num_blocks=1, layers_per_block=2, downscale=2)
    x = torch.rand(2, 1, 20, 18)
    torch.testing.assert_close(net(x), (x - net.residual(x)).clamp(0, 1))
    raw = DRAN(channels=8, num_blocks=1, layers_per_block=2, clamp_output=False)
    torch.testing.assert_close(raw(x), x - raw.residual(x))


def test_distinct_blocks_by_default_and_shared_variant():
    distinct = DRAN(channels=8, num_blocks=3, layers_per_block=2)
    shared = DRAN(channels=8, num_blocks=3, layers_per_block=2, shared_blocks=True)
    bodies = {id(b.body) for b in shared.blocks}
    assert len(bodies) == 1 and len({id(b.body) for b in distinct.blocks}) == 3
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    body = count(distinct.blocks[0].body)
    assert count(distinct) - count(shared) == 2 * body


def test_paper_size_layout():
    net = DRAN()  # 64 channels, 3 DRABs x 5 dynamic layers, K = 4
    dyn = [m for m in net.modules() if isinstance(m, DynamicConv2d)]
    assert len(dyn) == 15 and all(m.num_kernels == 4 and m.out_channels == 64 for m in dyn)


@pytest.mark.parametrize("norm", ["none", "batch", "group"])
def test_norms_train_step(norm):
    net = DRAN(channels=8, num_blocks=1, layers_per_block=2, norm=norm)
    x = torch.rand(4, 1, 16, 16)
    loss = (net(x) - x).abs().mean()
    loss.backward()
    assert all(p.grad is not None for p in net.parameters() if p.requires_grad)


def test_bad_norm():
    with pytest.raises(ValueError, match="norm"):
        DRAN(norm="layer")


def test_torchscript_any_size():
    net = DRAN(channels=8, num_blocks=1, layers_per_block=2, downscale=2).eval()
    scripted = torch.jit.script(net)
    for shape in [(1, 1, 33, 47), (2, 1, 64, 64)]:
        x = torch.rand(shape)
        torch.testing.assert_close(scripted(x), net(x))


def test_noise_level_input_starts_at_the_blind_network_and_is_scriptable():
    torch.manual_seed(0)
    blind = DRAN(channels=8, num_blocks=1, layers_per_block=2, downscale=2).eval()
    informed = DRAN(channels=8, num_blocks=1, layers_per_block=2, downscale=2, noise_level_input=True).eval()
    informed.load_state_dict(blind.state_dict())  # blind weights: zero weights on the noise-level channel
    x = (torch.rand(2, 1, 33, 40) + 0.1 * torch.randn(2, 1, 33, 40)).clamp(0, 1)
    torch.testing.assert_close(informed(x), blind(x))
    with torch.no_grad():
        informed.head[0].weight[:, -1] = 1.0
    assert not torch.allclose(informed(x), blind(x))  # the map reaches the output
    torch.testing.assert_close(torch.jit.script(informed)(x), informed(x))
    with pytest.raises(RuntimeError, match="head"):  # informed weights do not fit a blind network
        blind.load_state_dict(informed.state_dict())
