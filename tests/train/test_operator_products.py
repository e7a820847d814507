"""The operator's products: the selection's memo of ``x_u B`` (:class:`RowProducts`: each row computed once, never
stale, bounded) and ``M Ω`` with a sparse ``Ω`` (the cold items' borrowed columns)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

import graphrec.train.operator as operator
from graphrec.train.operator import Operator, RowProducts


def _case(dense: bool, seed: int = 0) -> tuple[Operator, sp.csr_matrix]:
    rng = np.random.default_rng(seed)
    n = 30
    inp = sp.random(12, n, density=0.2, random_state=seed, format="csr", dtype=np.float32)
    inp.data[:] = 1.0
    b_sparse = sp.random(n, n, density=0.3, random_state=seed + 1, format="csr", dtype=np.float32)
    b: torch.Tensor | sp.csr_matrix = torch.from_numpy(b_sparse.toarray()) if dense else b_sparse
    left = torch.from_numpy(rng.standard_normal((n, 2)).astype(np.float32))
    right = torch.from_numpy(rng.standard_normal((n, 2)).astype(np.float32))
    return Operator(b, [(left, right, 0.3)], b_scale=1.7), inp


class _Counting(RowProducts):
    def __init__(self, b: torch.Tensor | sp.csr_matrix, inp: sp.csr_matrix) -> None:
        super().__init__(b, inp)
        self.rows_computed = 0
        inner = self.inp

        class _Rows:        # counts the rows read out of inp to be multiplied
            shape = inner.shape

            def __getitem__(_, idx: np.ndarray) -> sp.csr_matrix:
                self.rows_computed += len(np.atleast_1d(idx))
                return inner[idx]
        self.inp = _Rows()  # type: ignore[assignment]


@pytest.mark.parametrize("dense", [True, False])
def test_remembered_scores_equal_apply(dense: bool) -> None:
    op, inp = _case(dense)
    want = op.apply(inp)
    op.remember(inp)
    for idx in (np.array([3, 1, 3]), np.arange(12), np.array([11])):      # float sums differ by batch only
        torch.testing.assert_close(op.score_rows(inp, idx), want[torch.from_numpy(idx)], rtol=1e-6, atol=1e-6)
    users = torch.tensor([0, 5, 7])
    torch.testing.assert_close(op.scorer(inp)(users), want[users], rtol=1e-6, atol=1e-6)


def test_each_row_is_multiplied_once_and_callers_may_write_their_copy() -> None:
    op, inp = _case(True)
    memo = _Counting(op.b, inp)
    first = memo(np.array([0, 1, 2]))
    first.fill_(-1.0)               # a caller boosting its copy in place
    again = memo(np.array([2, 1, 0, 4]))
    assert memo.rows_computed == 4  # rows 0-2 once, row 4 once
    torch.testing.assert_close(again, (operator.to_torch(inp) @ op.b)[torch.tensor([2, 1, 0, 4])])


def test_a_change_to_b_in_place_is_seen() -> None:
    op, inp = _case(True)
    op.remember(inp)
    before = op.score_rows(inp, np.arange(12))
    assert isinstance(op.b, torch.Tensor)
    op.b[:, 4] *= 3.0              # what the cold boost does to the dense B
    after = op.score_rows(inp, np.arange(12))
    torch.testing.assert_close(after, op.apply(inp))
    assert (after[:, 4] - before[:, 4]).abs().max() > 0.1


def test_another_matrix_or_b_is_not_served_from_the_memo() -> None:
    op, inp = _case(True)
    op.remember(inp)
    other = inp.copy()
    other.data[:] = 2.0
    torch.testing.assert_close(op.score_rows(other, np.arange(12)), op.apply(other))
    with pytest.raises(ValueError, match="another B"):
        Operator(op.b.clone()).remember(inp, op.products)       # type: ignore[union-attr]


def test_above_the_bound_nothing_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    op, inp = _case(False)
    monkeypatch.setattr(operator, "MEMO_ENTRIES", 12 * 30 - 1)
    memo = _Counting(op.b, inp)
    memo(np.arange(4))
    memo(np.arange(4))
    assert memo.rows_computed == 8
    torch.testing.assert_close(memo(np.arange(12)), torch.from_numpy((inp @ op.b).toarray()))


def test_a_b_of_sampled_columns_is_remembered_at_its_own_width() -> None:
    op, inp = _case(False)
    assert isinstance(op.b, sp.csr_matrix)
    cols = op.b[:, [1, 4, 9]].tocsr()       # what a sampled-column trial solves
    memo = RowProducts(cols, inp)
    torch.testing.assert_close(memo(np.array([2, 0])), torch.from_numpy((inp[[2, 0]] @ cols).toarray()))
    assert memo(np.arange(12)).shape == (12, 3)


@pytest.mark.parametrize("dense", [True, False])
def test_a_sparse_omega_gives_the_dense_product(dense: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    op, _ = _case(dense)
    monkeypatch.setattr(operator, "MATVEC_ROWS", 7)      # several row blocks of B, the last one short
    omega = sp.random(30, 4, density=0.15, random_state=3, format="csr", dtype=np.float32)
    want = op.matvec(torch.from_numpy(omega.toarray()))
    torch.testing.assert_close(op.matvec(omega), want)
    torch.testing.assert_close(op.matvec(omega.tocsc()), want)
