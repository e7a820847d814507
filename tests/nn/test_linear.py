"""Closed-form item–item models against their definitions."""

from __future__ import annotations

import torch

from graphrec.nn.linear import ease, ease_bytes, ease_inverse, ideal_lowpass, woodbury


def _gram(seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(60, 12, generator=g) < 0.3).double()
    return x.T @ x


def test_ease_is_ridge_regression_of_each_item_on_the_others() -> None:
    g, lam = _gram(), 3.0
    b = ease(g.clone(), lam)
    assert torch.all(b.diagonal() == 0)
    for j in range(g.size(0)):
        rest = [i for i in range(g.size(0)) if i != j]
        ridge = torch.linalg.solve(g[rest][:, rest] + lam * torch.eye(len(rest), dtype=g.dtype), g[rest, j])
        assert torch.allclose(b[rest, j], ridge, atol=1e-8)


def test_ideal_lowpass_is_the_gfcf_filter() -> None:
    g = torch.Generator().manual_seed(2)
    r = (torch.rand(40, 10, generator=g) < 0.4).float()
    du, di = r.sum(1).clamp(min=1), r.sum(0).clamp(min=1)
    norm = r / du.sqrt()[:, None] / di.sqrt()[None, :]
    left, right = ideal_lowpass(norm, di, k=4, seed=0)
    _, _, vh = torch.linalg.svd(norm, full_matrices=False)
    v = vh[:4].T
    expected = (di.rsqrt()[:, None] * v) @ (v.T * di.sqrt()[None, :])
    assert torch.allclose(left @ right.T, expected, atol=1e-4)


def test_dense_memory_bound_formula() -> None:
    assert ease_bytes(25_000) == 3 * 4 * 25_000 ** 2   # 7.5 GB: the gram, its inverse and B in float32
    assert ease_bytes(25_000, buffers=4) == 4 * 4 * 25_000 ** 2


def test_woodbury_adds_a_low_rank_channel_without_a_new_solve() -> None:
    g, lam = _gram(3), 2.0
    u = torch.randn(12, 3, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    p = ease_inverse(g.clone(), lam)
    before = p.clone()
    direct = ease_inverse(g + u @ u.T, lam)
    assert torch.allclose(woodbury(p, u), direct, atol=1e-10)
    assert torch.equal(p, before)                      # the base inverse is left as it was
    assert not torch.allclose(direct, p, atol=1e-3)    # the channel changes the model


def test_ease_inverse_is_the_inverse_across_blocks() -> None:
    a = torch.randn(2100, 300, generator=torch.Generator().manual_seed(5))
    g = a @ a.T                                       # 2100 items: three blocks of the triangle mirror
    direct = torch.linalg.inv(g.double() + 4.0 * torch.eye(2100, dtype=torch.float64))
    p64 = ease_inverse(g.double(), 4.0)                # dpotri: exact to rounding, so a mirror slip shows
    assert torch.allclose(p64, direct, atol=1e-10)
    assert torch.equal(p64, p64.T)
    # spotri: float32 with a condition number near 1,000 is good to ~2e-5 (its error moved with the thread
    # count and the OpenBLAS kernel: 8.6e-6 on two threads, 1.7e-5 on one); entries off the diagonal are ~1e-3
    p = ease_inverse(g.clone(), 4.0)
    assert torch.allclose(p.double(), direct, atol=1e-4)
    assert torch.equal(p, p.T)
