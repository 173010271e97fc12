import pytest
import torch
import torch.nn.functional as F

from medrestore.layers import DynamicConv2d


@pytest.mark.parametrize("shape", [(2, 5, 17, 23), (1, 5, 8, 8), (3, 5, 31, 9)])
def test_shape_any_size(shape):
    layer = DynamicConv2d(5, 7, num_kernels=3)
    assert layer(torch.randn(shape)).shape == (shape[0], 7, shape[2], shape[3])


def test_equals_per_sample_plain_convolution():
    torch.manual_seed(0)
    layer = DynamicConv2d(4, 6, num_kernels=4, temperature=2.0)
    x = torch.randn(3, 4, 12, 10)
    out = layer(x)
    pi = layer.attention_weights(x)
    for b in range(x.shape[0]):
        weight = (pi[b].view(-1, 1, 1, 1, 1) * layer.weight).sum(0)
        bias = (pi[b].view(-1, 1) * layer.bias).sum(0)
        expected = F.conv2d(x[b : b + 1], weight, bias, padding=1)
        torch.testing.assert_close(out[b : b + 1], expected, rtol=1e-5, atol=1e-5)


def test_attention_rows_sum_to_one_and_temperature_sharpens():
    torch.manual_seed(0)
    layer = DynamicConv2d(4, 4, num_kernels=4, temperature=30.0)
    x = torch.randn(2, 4, 8, 8)
    soft = layer.attention_weights(x)
    torch.testing.assert_close(soft.sum(1), torch.ones(2))
    layer.set_temperature(0.05)
    sharp = layer.attention_weights(x)
    assert sharp.max(1).values.min() > soft.max(1).values.max()
    with pytest.raises(ValueError):
        layer.set_temperature(0.0)


def test_biases_are_initialised_and_bounded():
    layer = DynamicConv2d(8, 8, num_kernels=4)
    bound = 1.0 / (8 * 9) ** 0.5
    assert torch.isfinite(layer.bias).all() and layer.bias.abs().max() <= bound
    assert layer.bias.std() > 0


def test_gradients_reach_kernels_and_attention():
    layer = DynamicConv2d(3, 3, temperature=1.0)
    layer(torch.randn(2, 3, 9, 9)).pow(2).sum().backward()
    assert layer.weight.grad.abs().sum() > 0
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in layer.attention.parameters())


def test_torchscript_matches_eager():
    layer = DynamicConv2d(3, 5).eval()
    scripted = torch.jit.script(layer)
    x = torch.randn(2, 3, 11, 13)
    torch.testing.assert_close(scripted(x), layer(x))


def test_bad_arguments():
    with pytest.raises(ValueError):
        DynamicConv2d(3, 3, num_kernels=0)
    with pytest.raises(ValueError):
        DynamicConv2d(3, 3, temperature=-1.0)
