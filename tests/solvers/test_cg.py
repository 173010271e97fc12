import torch

from medrestore.physics import MultiCoilMRI, normalize_coil_maps
from medrestore.solvers import conjugate_gradient


def _operator(b=3, coils=3, h=6, w=5, seed=0):
    torch.manual_seed(seed)
    mask = (torch.rand(1, 1, h, w) > 0.5).double()
    return MultiCoilMRI(mask, normalize_coil_maps(torch.randn(b, coils, h, w, dtype=torch.complex128)))


def _dense(op, i, lam):
    h, w = op.mask.shape[-2:]
    eye = torch.eye(h * w, dtype=torch.complex128)
    single = MultiCoilMRI(op.mask, op.coil_maps[i : i + 1])
    cols = [single.A_adjoint_A(eye[j].view(1, h, w)).flatten() for j in range(h * w)]
    return torch.stack(cols, dim=1) + lam * eye


def test_matches_direct_solve_per_sample():
    op = _operator()
    b = torch.randn(3, 6, 5, dtype=torch.complex128)
    lam = torch.tensor(0.2, dtype=torch.float64)
    x = conjugate_gradient(op, lam, b, max_iter=200, tol=1e-26)
    for i in range(3):
        torch.testing.assert_close(x[i].flatten(), torch.linalg.solve(_dense(op, i, 0.2), b[i].flatten()))


def test_converged_sample_stops_while_others_continue():
    op = _operator(b=2)
    b = torch.randn(2, 6, 5, dtype=torch.complex128)
    b[0] = 0  # converged before the first step: must stay exactly zero
    x = conjugate_gradient(op, torch.tensor(0.1, dtype=torch.float64), b, max_iter=200, tol=1e-26)
    assert x[0].abs().max() == 0
    torch.testing.assert_close(x[1].flatten(), torch.linalg.solve(_dense(op, 1, 0.1), b[1].flatten()))


def test_warm_start_and_zero_right_hand_side_are_safe():
    op = _operator(b=2)
    x = conjugate_gradient(op, torch.tensor(1.0, dtype=torch.float64), torch.zeros(2, 6, 5, dtype=torch.complex128))
    assert torch.isfinite(x.real).all() and x.abs().max() == 0
    b = torch.randn(2, 6, 5, dtype=torch.complex128)
    lam = torch.tensor(0.5, dtype=torch.float64)
    exact = conjugate_gradient(op, lam, b, max_iter=200, tol=1e-26)
    torch.testing.assert_close(conjugate_gradient(op, lam, b, x0=exact, max_iter=3, tol=1e-26), exact)


def test_scriptable():
    op = _operator(b=1)
    b = torch.randn(1, 6, 5, dtype=torch.complex128)
    lam = torch.tensor(0.3, dtype=torch.float64)
    scripted = torch.jit.script(conjugate_gradient)
    torch.testing.assert_close(
        scripted(op, lam, b, None, 50, 1e-20, 1e-30), conjugate_gradient(op, lam, b, max_iter=50, tol=1e-20)
    )
