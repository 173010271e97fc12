import pytest
import torch

from medrestore.layers import DataConsistency
from medrestore.physics import MultiCoilMRI, fft2c, normalize_coil_maps


def _problem(coils, b=2, h=8, w=6, seed=0):
    torch.manual_seed(seed)
    mask = (torch.rand(1, 1, h, w) > 0.4).double()
    maps = None if coils is None else normalize_coil_maps(torch.randn(b, coils, h, w, dtype=torch.complex128))
    op = MultiCoilMRI(mask, maps)
    x = torch.randn(b, h, w, dtype=torch.complex128)
    return op, op.A(x), torch.randn(b, h, w, dtype=torch.complex128)


def _dense_solution(op, y, z, lam):
    b, h, w = z.shape
    n = h * w
    eye = torch.eye(n, dtype=torch.complex128)
    out = []
    for i in range(b):
        single = MultiCoilMRI(op.mask, None if op.coil_maps is None else op.coil_maps[i : i + 1])
        cols = [single.A_adjoint_A(eye[j].view(1, h, w)).flatten() for j in range(n)]
        normal = torch.stack(cols, dim=1) + lam * eye
        rhs = (single.A_adjoint(y[i : i + 1]) + lam * z[i : i + 1]).flatten()
        out.append(torch.linalg.solve(normal, rhs).view(h, w))
    return torch.stack(out)


@pytest.mark.parametrize("coils", [None, 3])
@pytest.mark.parametrize("warm_start", [False, True])
def test_solves_the_normal_equations(coils, warm_start):
    op, y, z = _problem(coils)
    dc = DataConsistency(lam=0.3, max_iter=100, tol=1e-28, warm_start=warm_start).double()
    torch.testing.assert_close(dc(z, y, op), _dense_solution(op, y, z, dc.lam.item()), rtol=1e-6, atol=1e-8)


def test_warm_start_begins_at_the_denoiser_output():
    """A denoiser output consistent with the data (y = A z) is the solution: a warm start returns it
    with any number of iterations, a cold start with two does not reach it."""
    op, _, z = _problem(3)
    y = op.A(z)
    warm = DataConsistency(lam=0.3, max_iter=2, warm_start=True).double()
    cold = DataConsistency(lam=0.3, max_iter=2).double()
    torch.testing.assert_close(warm(z, y, op), z)
    assert (cold(z, y, op) - z).abs().max() > 1e-3


def test_lambda_stays_positive_and_sampled_data_are_kept_when_lambda_is_small():
    op, y, z = _problem(None)
    dc = DataConsistency(lam=1e-6).double()
    assert dc.lam.item() > 0
    with torch.no_grad():
        dc.raw_lam.fill_(-50.0)
    assert dc.lam.item() > 0
    x = dc(z, y, op)
    torch.testing.assert_close(op.mask[:, 0] * fft2c(x), y[:, 0], atol=1e-6, rtol=0)


def test_gradients_numerically():
    op, y, z = _problem(2, b=1, h=4, w=4)
    dc = DataConsistency(lam=0.5, max_iter=40, tol=1e-30).double()
    z = z.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda zz: dc(zz, y, op), (z,), eps=1e-6, atol=1e-5)
    assert torch.autograd.gradcheck(
        lambda raw: _with_raw(dc, raw, z.detach(), y, op), (dc.raw_lam.detach().clone().requires_grad_(True),)
    )


def _with_raw(dc, raw, z, y, op):
    lam = torch.nn.functional.softplus(raw)
    from medrestore.solvers import conjugate_gradient

    return conjugate_gradient(op, lam, op.A_adjoint(y) + lam * z, max_iter=40, tol=1e-30)


def test_bad_lambda():
    with pytest.raises(ValueError):
        DataConsistency(lam=0.0)
