"""Issue 22, item 13: the sparse item–item solve on two threads with singular neighbourhoods.

The old ``neighbourhood_ease`` solved its batches with ``torch.linalg.solve`` (a batched LU); on two threads
oneMKL refused it ("Parameter 6 was incorrect on entry to SLASWP") and torch raised "Pivots given to lu_solve
must all be …" on a 41k-item catalogue. The sparse path factorises by Cholesky (or runs conjugate gradients),
and a system that is not positive definite is solved on clamped eigenvalues.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphrec.nn import scalable
from graphrec.nn.scalable import neighbour_gram, neighbourhood_solve


@pytest.fixture
def two_threads() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("direct", [True, False])
def test_two_threads_and_duplicate_items_solve_finitely(two_threads: None, direct: bool,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scalable, "DIRECT_FLOPS", 1e18 if direct else 0.0)
    x = sp.random(400, 150, density=0.2, random_state=3, format="csc", dtype=np.float32)
    x.data[:] = 1.0
    x = sp.hstack([x, x[:, :150]]).tocsr()            # every item twice: singular Gram blocks
    ng = neighbour_gram([x], m=100)
    b, _ = neighbourhood_solve(ng, [1.0], 1e-3, batch=512)   # tiny λ: as close to singular as allowed
    assert np.isfinite(b.data).all() and b.nnz > 0
    assert b.diagonal().sum() == 0
