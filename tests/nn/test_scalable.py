"""The sparse path's solver against dense EASE, its robustness, and the operator-only SVD."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

import graphrec.nn.scalable as scalable
from graphrec.nn.linear import ease
from graphrec.nn.scalable import (
    Latent,
    _column_block_top,
    _compensate,
    _descending_key,
    _dropped_bound,
    _gather_block,
    _orthonormal,
    _robust_solve,
    _values_at,
    neighbour_gram,
    neighbourhood_solve,
    products,
    randomized_svd,
)


def _rows(users: int, items: int, density: float, seed: int) -> sp.csr_matrix:
    m = sp.random(users, items, density=density, random_state=seed, format="csr", dtype=np.float32)
    m.data[:] = 1.0
    return m


def _dense_gram(parts: list[sp.csr_matrix], factor: torch.Tensor | None) -> torch.Tensor:
    s = sp.vstack(parts)
    g = torch.from_numpy((s.T @ s).toarray().astype(np.float64))
    return g + (factor.double() @ factor.double().T if factor is not None else 0.0)


def test_every_neighbour_is_dense_ease_with_weights_and_a_factor() -> None:
    x, ent = _rows(300, 40, 0.4, 1), _rows(10, 40, 0.3, 2)      # dense enough that every pair co-occurs
    factor = torch.randn(40, 3, generator=torch.Generator().manual_seed(3)) * 0.3
    ng = neighbour_gram([x, ent], m=39)
    assert int((ng.nbr < 40).sum(1).min()) == 39
    b = neighbourhood_solve(ng, [1.0, 2.0], 4.0, factor, batch=7)[0].toarray()
    dense = ease(_dense_gram([x, ent * 2.0], factor), 4.0).numpy()
    np.testing.assert_allclose(b, dense, atol=2e-5)


def test_few_neighbours_keep_the_strongest_and_differ_from_dense() -> None:
    x = _rows(200, 50, 0.15, 4)
    ng = neighbour_gram([x], m=5, block_entries=300)      # tiny blocks: the blocking must not change lists
    whole = neighbour_gram([x], m=5)
    assert torch.equal(ng.nbr, whole.nbr) and torch.equal(ng.vals, whole.vals)
    g = (x.T @ x).toarray()
    np.fill_diagonal(g, -1)
    for j in range(50):                                   # the kept values are the 5 largest co-occurrences
        kept = ng.vals[0, j][ng.nbr[j] < 50].numpy()
        assert sorted(kept.tolist()) == sorted(np.sort(g[:, j])[-kept.size:].tolist())
    b, _ = neighbourhood_solve(ng, [1.0], 2.0)
    assert max(np.diff(b.tocsc().indptr)) <= 5 and b.diagonal().sum() == 0
    assert not np.allclose(b.toarray(), ease(_dense_gram([x], None), 2.0).numpy(), atol=1e-3)


def test_neighbour_lists_are_int32_and_solve_as_int64_lists_do() -> None:
    x, ent = _rows(200, 50, 0.15, 4), _rows(10, 50, 0.3, 5)
    ng = neighbour_gram([x, ent], m=8)
    assert ng.nbr.dtype == torch.int32                     # half the bytes of the lists every solve gathers from
    wide = scalable.NeighbourGram(ng.nbr.long(), ng.vals, ng.diag)
    for direct in (True, False):
        b32, _ = neighbourhood_solve(ng, [1.0, 0.5], 3.0, batch=7, direct=direct)
        b64, _ = neighbourhood_solve(wide, [1.0, 0.5], 3.0, batch=7, direct=direct)
        assert (b32 != b64).nnz == 0 and b32.nnz > 0


def test_the_integer_key_orders_floats_largest_first() -> None:
    val = np.random.default_rng(5).normal(size=2000).astype(np.float32) * 1e3
    val[::7] = 0.0
    val[1::9] = val[2]                                    # ties keep their order
    np.testing.assert_array_equal(np.argsort(_descending_key(val), kind="stable"),
                                  np.argsort(-val, kind="stable"))


def test_a_column_keeps_its_largest_with_ties_to_the_lower_item() -> None:
    rng = np.random.default_rng(6)
    dense = rng.integers(0, 4, size=(30, 5)).astype(np.float32)       # many ties, some zeros (absent)
    col, row = _column_block_top(sp.csc_matrix(dense), 10, 4)          # column k is item 10 + k: row 10 + k dropped
    for k in range(5):
        cand = [r for r in range(30) if dense[r, k] and r != 10 + k]
        want = sorted(cand, key=lambda r: (-dense[r, k], r))[:4]
        assert row[col == k].tolist() == want


def test_values_at_reads_stored_entries_and_zero_elsewhere() -> None:
    block = sp.random(40, 6, density=0.3, random_state=7, format="csc", dtype=np.float32)
    row = np.random.default_rng(8).integers(0, 40, size=200)
    col = np.random.default_rng(9).integers(0, 6, size=200)
    np.testing.assert_array_equal(_values_at(block, row, col), np.asarray(block[row, col]).ravel())
    assert _values_at(sp.csc_matrix((40, 6), dtype=np.float32), row, col).tolist() == [0.0] * 200


def test_a_system_that_is_not_positive_definite_is_solved_not_crashed() -> None:
    # a sparsified Gram block need not be PSD: [[1, 2], [2, 1]] + 0.5 I has a negative eigenvalue
    a = torch.tensor([[[1.5, 2.0], [2.0, 1.5]], [[2.0, 0.0], [0.0, 2.0]]])
    rhs = torch.ones(2, 2, 1)
    x = _robust_solve(a, rhs, floor=0.5)
    assert torch.isfinite(x).all()
    assert torch.allclose(x[1], torch.full((2, 1), 0.5))              # the good system is solved exactly
    w, v = torch.linalg.eigh(a[0].double())
    expected = v @ torch.diag(1 / w.clamp(min=0.5)) @ v.T @ rhs[0].double()
    assert torch.allclose(x[0].double(), expected, atol=1e-6)


def test_compensated_neighbourhood_blocks_are_positive_definite() -> None:
    # dense co-occurrence and few neighbours: most pairs inside a neighbourhood list neither the other
    x, ent = _rows(400, 60, 0.3, 5), _rows(30, 60, 0.2, 6)
    ng = neighbour_gram([x, ent], m=12)
    weights = [1.0, 2.0]
    vals, diag = ng.weighted(weights)
    nb = ng.nbr
    g = _dense_gram([x, ent * 2.0], None)
    raw = _gather_block(ng.nbr, vals, nb)
    raw.diagonal(dim1=1, dim2=2).copy_(diag[nb])
    assert torch.linalg.eigvalsh(raw.double())[:, 0].min() < 0           # as read, many blocks are indefinite
    fixed = raw.clone()
    _compensate(fixed, nb, torch.cat([_dropped_bound(ng, weights), torch.zeros(1)]))
    assert torch.linalg.eigvalsh(fixed.double())[:, 0].min() > -1e-3
    # the bound holds: every unknown pair's true value is at most what was added for it
    exact = g[nb.unsqueeze(2), nb.unsqueeze(1)]
    assert bool(((fixed.double() - exact).diagonal(dim1=1, dim2=2) >= -1e-3).all())


def test_conjugate_gradients_agree_with_the_direct_solve_with_latent_features() -> None:
    x = _rows(500, 80, 0.25, 7)
    ng = neighbour_gram([x], m=10)
    xt = torch.from_numpy(x.toarray())
    v = torch.linalg.svd(xt, full_matrices=False)[2][:6].T.contiguous()
    latent = Latent(v, (xt.T @ (xt @ v)).contiguous())
    direct = neighbourhood_solve(ng, [1.0], 20.0, latent=latent)
    import pytest

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scalable, "DIRECT_FLOPS", 0.0)                            # force conjugate gradients
        cg = neighbourhood_solve(ng, [1.0], 20.0, latent=latent)
    np.testing.assert_allclose(cg[0].toarray(), direct[0].toarray(), atol=2e-3)
    assert direct[1] is not None and cg[1] is not None
    np.testing.assert_allclose(cg[1].numpy(), direct[1].numpy(), atol=2e-3)


def test_randomized_svd_through_products_only() -> None:
    g = torch.Generator().manual_seed(5)
    m = torch.randn(80, 6, generator=g) @ torch.randn(6, 80, generator=g)          # rank 6
    u, s, v = randomized_svd(lambda o: m @ o, lambda o: m.T @ o, 80, 6, seed=1)
    assert torch.allclose(u @ torch.diag(s) @ v.T, m, atol=1e-3)
    assert torch.allclose(s, torch.linalg.svdvals(m)[:6], rtol=1e-4)


def test_orthonormal_spans_the_columns_well_or_badly_conditioned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scalable, "ORTHONORMAL_ROWS", 64)          # several bands of rows, the last one short
    g = torch.Generator().manual_seed(11)
    for scale in (torch.ones(12), torch.logspace(0, -6, 12)):       # CholeskyQR2, then the Householder fallback
        x = torch.randn(500, 12, generator=g) * scale
        q = _orthonormal(x.clone())                                  # overwrites its argument
        assert torch.allclose(q.T @ q, torch.eye(12), atol=1e-4)
        assert torch.allclose(q @ (q.T @ x), x, atol=1e-4 * float(x.abs().max()))


def test_randomized_svd_of_a_rectangular_sparse_matrix_by_its_products() -> None:
    a = _rows(400, 90, 0.05, 12)
    matvec, rmatvec = products(a)
    dense = torch.from_numpy(a.toarray())
    o = torch.randn(90, 3, generator=torch.Generator().manual_seed(13))
    assert torch.allclose(matvec(o), dense @ o, atol=1e-5)
    assert torch.allclose(rmatvec(matvec(o)), dense.T @ (dense @ o), atol=1e-4)
    u, s, v = randomized_svd(matvec, rmatvec, 90, 5, niter=6, seed=2)
    assert u.shape == (400, 5) and v.shape == (90, 5)
    assert torch.allclose(s, torch.linalg.svdvals(dense)[:5], rtol=2e-2)
    assert torch.allclose(u.T @ dense @ v, torch.diag(s), atol=1e-3 * float(s[0]))
    u2, s2, v2 = randomized_svd(matvec, rmatvec, 90, 5, niter=6, seed=2, left=False)
    assert u2.shape == (0, 5) and torch.equal(s2, s) and torch.equal(v2, v)


def test_solving_some_columns_gives_exactly_those_columns_of_the_full_solve() -> None:
    x = _rows(300, 60, 0.1, 7)
    ng = neighbour_gram([x], m=8)
    v = torch.linalg.qr(torch.randn(60, 4, generator=torch.Generator().manual_seed(8)))[0].float().contiguous()
    latent = Latent(v, torch.from_numpy(np.asarray(x.T @ (x @ v.numpy()), dtype=np.float32)))
    full_b, full_c = neighbourhood_solve(ng, [1.0], 3.0, latent=latent, batch=16)
    cols = torch.tensor([2, 5, 17, 40, 59])
    some_b, some_c = neighbourhood_solve(ng, [1.0], 3.0, latent=latent, batch=2, columns=cols)
    assert some_b.shape == (60, 5) and some_c is not None and full_c is not None
    np.testing.assert_allclose(some_b.toarray(), full_b.toarray()[:, cols.numpy()], atol=1e-6)
    np.testing.assert_allclose(some_c.numpy(), full_c[cols].numpy(), atol=1e-6)
