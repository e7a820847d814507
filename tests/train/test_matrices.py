"""The dense Gram matrix built block by block (:func:`graphrec.train.matrices.dense_gram`)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphrec.train import matrices
from graphrec.train.matrices import dense_gram


def _stacked() -> sp.csr_matrix:
    rng = np.random.default_rng(7)
    m = sp.random(40, 23, density=0.2, format="csr", random_state=rng, dtype=np.float64)
    m.data = np.round(m.data * 4) / 2            # halves: every product exact in float32
    return m


@pytest.mark.parametrize("block_entries", [1, 23 * 5, 1 << 25])     # a row per block, uneven blocks, one block
def test_dense_gram_is_the_product_in_any_blocks(monkeypatch: pytest.MonkeyPatch, block_entries: int) -> None:
    monkeypatch.setattr(matrices, "GRAM_BLOCK_ENTRIES", block_entries)
    m = _stacked()
    g = dense_gram(m)
    assert g.dtype == torch.float32 and g.shape == (23, 23)
    assert torch.equal(g, torch.from_numpy((m.T @ m).toarray().astype(np.float32)))


def test_dense_gram_weighs_each_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matrices, "GRAM_BLOCK_ENTRIES", 23 * 4)
    m = _stacked()
    w = np.arange(40, dtype=np.float64) % 3          # rows weighted 0, 1, 2: the zero rows drop out
    expected = (m.T @ sp.diags(w) @ m).toarray().astype(np.float32)
    assert torch.equal(dense_gram(m, w), torch.from_numpy(expected))
    assert not torch.equal(dense_gram(m, w), dense_gram(m))
