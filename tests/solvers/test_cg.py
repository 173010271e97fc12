import torch

from medrestore.solvers import conjugate_gradient


def _spd_batch(b, n, cond=50.0):
    q, _ = torch.linalg.qr(torch.randn(b, n, n, dtype=torch.complex128))
    eig = torch.linspace(1.0, cond, n, dtype=torch.float64).to(torch.complex128)
    return q @ torch.diag_embed(eig) @ q.conj().transpose(-1, -2)


def test_matches_direct_solve_per_sample():
    torch.manual_seed(0)
    mats = _spd_batch(3, 12)
    b = torch.randn(3, 12, dtype=torch.complex128)
    x = conjugate_gradient(lambda v: (mats @ v.unsqueeze(-1)).squeeze(-1), b, max_iter=50, tol=1e-24)
    torch.testing.assert_close(x, torch.linalg.solve(mats, b))


def test_converged_sample_stops_while_others_continue():
    torch.manual_seed(1)
    mats = torch.stack([torch.eye(8, dtype=torch.complex128), _spd_batch(1, 8, 200.0)[0]])
    b = torch.randn(2, 8, dtype=torch.complex128)
    x = conjugate_gradient(lambda v: (mats @ v.unsqueeze(-1)).squeeze(-1), b, max_iter=30, tol=1e-24)
    torch.testing.assert_close(x[0], b[0])  # identity: exact after one step, then frozen
    torch.testing.assert_close(x[1], torch.linalg.solve(mats[1], b[1]))


def test_zero_right_hand_side_is_safe():
    x = conjugate_gradient(lambda v: 2 * v, torch.zeros(2, 5))
    assert torch.isfinite(x).all() and x.abs().max() == 0
