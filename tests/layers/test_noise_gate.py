import torch
import torch.nn.functional as F

from medrestore.layers import NoiseGate


def test_formula_and_shape():
    torch.manual_seed(0)
    gate = NoiseGate(4, 6)
    x = torch.randn(2, 4, 9, 7)
    out = gate(x)
    feature, g = gate.conv(x).split(6, dim=1)
    torch.testing.assert_close(out, F.leaky_relu(feature * torch.sigmoid(g), 0.2))
    assert out.shape == (2, 6, 9, 7)


def test_scriptable_and_differentiable():
    gate = NoiseGate(3)
    scripted = torch.jit.script(gate)
    x = torch.randn(1, 3, 8, 8, requires_grad=True)
    scripted(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
