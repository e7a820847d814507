"""The graph as sparse matrices for the closed-form models: interactions, side behaviours, entities, text.

Every matrix is built from a :class:`RecGraph` and a pair tensor, in scipy's CSR format (what ``implicit``
takes too). Side information is merged per *kind*, never per relation type, so a KG with 130 relation types
costs what one type holding the same edges costs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from graphrec.loaders.types import RecGraph


def interactions(pairs: Tensor, num_users: int, num_items: int) -> sp.csr_matrix:
    """Binary ``[U, I]`` CSR matrix of ``pairs`` (duplicates count once)."""
    p = pairs.long().cpu().numpy()
    m = sp.csr_matrix((np.ones(p.shape[1], dtype=np.float32), (p[0], p[1])), shape=(num_users, num_items))
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


@dataclass
class SideInfo:
    """What the graph says besides the interactions.

    Attributes:
        behaviours: ``[U, I]`` binary matrix of side behaviours (e.g. ``TAGGED`` when the positives are
            ``LISTENED``), held-out pairs already removed by the loader; ``None`` when there are none.
        entities: ``[E, I]`` binary incidence of items and the nodes they link to (genres, KG entities,
            tags as nodes): each entity acts as a pseudo-user who "has" its items; ``None`` when none.
        text: ``[I, t]`` L2-normalised item text embeddings (zero rows where an item has no text);
            ``None`` when the items have none.
        user_features: ``[U, F]`` binary incidence of users and their attribute nodes (occupation, age
            group…); ``None`` when none.
    """

    behaviours: sp.csr_matrix | None = None
    entities: sp.csr_matrix | None = None
    text: Tensor | None = None
    user_features: sp.csr_matrix | None = None

    def describe(self) -> dict[str, int]:
        """Sizes, for reports: non-zeros of each matrix (text: items with text)."""
        out: dict[str, int] = {}
        for name in ("behaviours", "entities", "user_features"):
            m = getattr(self, name)
            if m is not None:
                out[name] = int(m.nnz)
        if self.text is not None:
            out["text"] = int((self.text.abs().sum(1) > 0).sum())
        return out


def _binary(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    m = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=shape)
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def side_info(graph: RecGraph) -> SideInfo:
    """Collect :class:`SideInfo` from ``graph.data``'s non-interaction edge types.

    User→item types are side behaviours; item→other-node types make entities (one pseudo-user per linked
    node, whatever the relation type); user→non-user/non-item types make user features; item ``x`` rows
    are the text. Reverse types (``rev_…``) and user→user edges are not used here.
    """
    ut, it = graph.user_type, graph.item_type
    nu, ni = graph.num_users, graph.num_items
    beh_r: list[np.ndarray] = []
    beh_c: list[np.ndarray] = []
    ent: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {}
    feat: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {}
    for et in graph.kg_edge_types:
        src, rel, dst = et
        if rel.startswith("rev_"):
            continue
        ei = graph.data[et].edge_index.long().cpu().numpy()
        if ei.size == 0:
            continue
        if src == ut and dst == it:
            beh_r.append(ei[0])
            beh_c.append(ei[1])
        elif src == it and dst not in (ut, it):
            ent.setdefault(dst, ([], []))[0].append(ei[1])
            ent[dst][1].append(ei[0])
        elif dst == it and src not in (ut, it):
            ent.setdefault(src, ([], []))[0].append(ei[0])
            ent[src][1].append(ei[1])
        elif src == ut and dst not in (ut, it):
            feat.setdefault(dst, ([], []))[0].append(ei[0])
            feat[dst][1].append(ei[1])
    info = SideInfo()
    if beh_r:
        info.behaviours = _binary(np.concatenate(beh_r), np.concatenate(beh_c), (nu, ni))
    if ent:
        rows, cols, offset = [], [], 0
        for t, (r, c) in sorted(ent.items()):
            n = int(graph.data[t].num_nodes or 0)
            rows.append(np.concatenate(r) + offset)
            cols.append(np.concatenate(c))
            offset += n
        info.entities = _binary(np.concatenate(rows), np.concatenate(cols), (offset, ni))
    if feat:
        rows, cols, offset = [], [], 0
        for t, (r, c) in sorted(feat.items()):
            n = int(graph.data[t].num_nodes or 0)
            rows.append(np.concatenate(r))
            cols.append(np.concatenate(c) + offset)
            offset += n
        info.user_features = _binary(np.concatenate(rows), np.concatenate(cols), (nu, offset))
    x = graph.data[it].get("x") if it in graph.data.node_types else None
    if isinstance(x, Tensor) and x.dim() == 2 and x.size(0) == ni and x.abs().sum() > 0:
        info.text = torch.nn.functional.normalize(x.float(), dim=1)
    return info


GRAM_BLOCK_ENTRIES = 1 << 25
"""Entries of the sparse product :func:`dense_gram` builds at a time (a block of rows: ~270 MB at most)."""


def dense_gram(m: sp.spmatrix, weights: np.ndarray | None = None) -> Tensor:
    """``mᵀ diag(weights) m`` (``[I, I]``, float32) written block by block into one dense buffer.

    The whole sparse product converted at once took 13–32 s on lastfm-2k's stacked matrix (17,632 items: a
    29.5M-entry CSR, then a float64 ``toarray`` and a float32 copy, three ``I²`` buffers at its peak); in float32
    by blocks of rows it took 3.4 s, exact, with one ``I²`` buffer and at most :data:`GRAM_BLOCK_ENTRIES` sparse
    entries beside it. Counts of 0/1 interactions stay exact (float32 holds integers up to 2²⁴)."""
    x = sp.csr_matrix(m, dtype=np.float32)
    xt = x.T.tocsr()
    if weights is not None:
        xt = (xt @ sp.diags(np.asarray(weights, dtype=np.float32))).tocsr()
    n = x.shape[1]
    out = torch.zeros(n, n, dtype=torch.float32)
    step = max(1, GRAM_BLOCK_ENTRIES // max(1, n))
    for s in range(0, n, step):
        e = min(s + step, n)
        block = (xt[s:e] @ x).tocsr()
        block.toarray(out=out[s:e].numpy())
    return out


def to_torch(m: sp.csr_matrix) -> Tensor:
    """A scipy CSR matrix as a torch sparse CSR float32 tensor."""
    m = m.tocsr()
    with warnings.catch_warnings():   # "sparse CSR support is in beta": the CSR matmul graphrec uses is stable
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(torch.from_numpy(m.indptr.astype(np.int64)),
                                       torch.from_numpy(m.indices.astype(np.int64)),
                                       torch.from_numpy(m.data.astype(np.float32)), m.shape)


def rows_of(m: sp.csr_matrix, users: Tensor) -> Tensor:
    """Rows ``users`` of ``m`` as a torch sparse CSR float32 tensor (``rows @ dense`` costs nnz × width)."""
    return to_torch(m[users.long().cpu().numpy()])
