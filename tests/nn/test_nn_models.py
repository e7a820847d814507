"""Models of graphrec.nn on tiny tensors: shapes, gradients, equivalences, learning."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch_geometric.nn import LightGCN

from graphrec.nn import HeteroRec, LightGCNRec, Popularity, bpr_loss, l2_penalty, normalized_adj
from graphrec.nn.sparse import normalized_pair, relational_spmm, spmm

U, I = 12, 9  # noqa: E741


def interactions(seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    u = torch.arange(U).repeat_interleave(3)
    i = (u + torch.randint(0, 3, (u.numel(),), generator=g)) % I
    return torch.unique(torch.stack([u, i]), dim=1)


def test_normalized_adj_matches_dense_and_merges_duplicates() -> None:
    ei = torch.tensor([[0, 0, 1, 2, 2], [1, 1, 0, 0, 1]])  # (0, 1) twice
    adj = normalized_adj(ei, 3, 2).to_dense()
    dense = torch.zeros(2, 3)
    dense[1, 0] = dense[0, 1] = dense[0, 2] = dense[1, 2] = 1
    deg_src, deg_dst = dense.sum(0), dense.sum(1)
    expected = dense / torch.sqrt(deg_dst[:, None] * deg_src[None, :])
    assert adj.shape == (2, 3)
    assert torch.allclose(adj, expected)


def test_bpr_and_l2_values() -> None:
    pos, neg = torch.tensor([2.0, 0.0]), torch.tensor([0.0, 0.0])
    expected = -(torch.sigmoid(torch.tensor(2.0)).log() + torch.sigmoid(torch.tensor(0.0)).log()) / 2
    assert torch.isclose(bpr_loss(pos, neg), expected)
    assert torch.isclose(bpr_loss(pos, neg.unsqueeze(1).repeat(1, 3)), expected)
    assert torch.isclose(l2_penalty(torch.ones(2, 3), torch.ones(2, 1)), torch.tensor(8 / 4))


def test_popularity_is_a_rank_one_factorisation() -> None:
    items = torch.tensor([0, 0, 0, 2, 2, 1])
    model = Popularity(4, 3).fit(items)
    users, item_emb = model()
    assert users.shape == (4, 1) and item_emb.shape == (3, 1)
    scores = users @ item_emb.T
    assert torch.equal(scores.argsort(dim=1, descending=True)[0], torch.tensor([0, 2, 1]))
    assert torch.allclose(scores[1], torch.tensor([1.0, 1 / 3, 2 / 3]))
    assert "Popularity(4, 3)" == repr(model)


def test_lightgcn_matches_pyg_edge_index_propagation() -> None:
    torch.manual_seed(0)
    ei = interactions()
    model = LightGCNRec(U, I, embedding_dim=8, num_layers=2)
    users, items = model(LightGCNRec.adjacency(ei, U, I))
    # reference: PyG's own LightGCN with gcn_norm over an edge_index, same weights
    ref = LightGCN(U + I, 8, 2)
    ref.embedding.weight.data.copy_(model.lightgcn.embedding.weight.data)
    both = torch.cat([torch.stack([ei[0], ei[1] + U]), torch.stack([ei[1] + U, ei[0]])], 1)
    out = ref.get_embedding(both)
    assert users.shape == (U, 8) and items.shape == (I, 8)
    assert torch.allclose(torch.cat([users, items]), out, atol=1e-6)
    assert "dim=8, layers=2" in repr(model)


def _train_steps(model: torch.nn.Module, embed, ei: torch.Tensor, steps: int = 60) -> list[float]:  # type: ignore[no-untyped-def]
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    g = torch.Generator().manual_seed(1)
    losses = []
    for _ in range(steps):
        users, items = embed()
        neg = torch.randint(0, I, (ei.size(1),), generator=g)
        loss = bpr_loss((users[ei[0]] * items[ei[1]]).sum(-1), (users[ei[0]] * items[neg]).sum(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return losses


def _pair_loss(model: torch.nn.Module, embed: Callable[[], dict[str, torch.Tensor]], ei: torch.Tensor) -> float:
    """Mean BPR loss of every user over every (positive, non-positive item) pair, in evaluation mode."""
    model.eval()
    with torch.no_grad():
        out = embed()
        s = out["User"] @ out["Item"].T
    model.train()
    pos = torch.zeros_like(s, dtype=torch.bool)
    pos[ei[0], ei[1]] = True
    pairs = pos.unsqueeze(2) & ~pos.unsqueeze(1)
    return float(-torch.nn.functional.logsigmoid((s.unsqueeze(2) - s.unsqueeze(1))[pairs]).mean())


def test_lightgcn_learns() -> None:
    torch.manual_seed(0)
    ei = interactions()
    model = LightGCNRec(U, I, 16, 2)
    adj = LightGCNRec.adjacency(ei, U, I)
    losses = _train_steps(model, lambda: model(adj), ei)
    assert losses[-1] < 0.8 * losses[0]
    u_rows, i_rows = model.ego(torch.tensor([0, 1]), torch.tensor([2]))
    assert u_rows.shape == (2, 16) and i_rows.shape == (1, 16)


def _hetero_inputs() -> tuple[dict[str, int], dict[tuple[str, str, str], torch.Tensor], list[tuple[str, str, str]]]:
    ei = interactions()
    cf = [("User", "R", "Item"), ("Item", "rev_R", "User")]
    genre = torch.stack([torch.arange(I), torch.arange(I) % 3])
    edges = {
        cf[0]: ei,
        cf[1]: ei.flip(0),
        ("Item", "G", "Entity"): genre,
        ("Entity", "rev_G", "Item"): genre.flip(0),
        ("User", "F", "User"): torch.stack([torch.arange(U), (torch.arange(U) + 1) % U]),
    }
    return {"User": U, "Item": I, "Entity": 3}, edges, cf


@pytest.mark.parametrize("text", [False, True])
def test_hetero_shapes_gradients_and_learning(text: bool) -> None:
    torch.manual_seed(0)
    num_nodes, edges, cf = _hetero_inputs()
    x = {"Item": torch.randn(I, 5)} if text else None
    model = HeteroRec(num_nodes, list(edges), cf, {"Item": 5} if text else None, embedding_dim=16, num_layers=2)
    adj = HeteroRec.adjacency(edges, num_nodes, cf)
    out = model(adj, x)
    assert {t: tuple(v.shape) for t, v in out.items()} == {"User": (U, 16), "Item": (I, 16), "Entity": (3, 16)}
    sum(v.sum() for v in out.values()).backward()  # type: ignore[union-attr]
    assert all(p.grad is not None for p in model.rel.values())
    if text:
        assert model.proj["Item"].weight.grad is not None
    model.zero_grad()
    before = _pair_loss(model, lambda: model(adj, x), edges[cf[0]])
    _train_steps(model, lambda: (lambda o: (o["User"], o["Item"]))(model(adj, x)), edges[cf[0]])
    # judged without dropout over every (positive, other item) pair: a step's loss with dropout 0.5 on 9 items is noise
    assert _pair_loss(model, lambda: model(adj, x), edges[cf[0]]) < 0.2 * before
    assert "Entity=3" in repr(model) and "layers=2" in repr(model)


def test_hetero_without_side_channels_is_lightgcn() -> None:
    torch.manual_seed(0)
    num_nodes, edges, cf = _hetero_inputs()
    model = HeteroRec(num_nodes, list(edges), cf, embedding_dim=8, num_layers=3, side_init=0.0)
    out = model(HeteroRec.adjacency(edges, num_nodes, cf))
    ref = LightGCNRec(U, I, 8, 3)
    ref.lightgcn.embedding.weight.data.copy_(torch.cat([model.emb["User"].data, model.emb["Item"].data]))
    users, items = ref(LightGCNRec.adjacency(edges[cf[0]], U, I))
    assert torch.allclose(out["User"], users, atol=1e-6)
    assert torch.allclose(out["Item"], items, atol=1e-6)


def test_hetero_side_channels_only_into_what_interactions_reach() -> None:
    """An item→entity channel could feed only the entities' own first layer, which no user or item reads: it is
    dropped (no relation vector that could never learn), and an entity's output is its layer 0 over L + 1; the
    entity→item channel stays and reaches the items."""
    torch.manual_seed(0)
    num_nodes, edges, cf = _hetero_inputs()
    model = HeteroRec(num_nodes, list(edges), cf, embedding_dim=8, num_layers=3).eval()
    assert ("Item", "G", "Entity") not in model.edge_types and "Item__G__Entity" not in model.rel
    assert ("Entity", "rev_G", "Item") in model.edge_types and ("User", "F", "User") in model.edge_types
    adj = HeteroRec.adjacency(edges, num_nodes, cf)
    out = model(adj)
    assert torch.allclose(out["Entity"], model.emb["Entity"] / 4)
    without = {et: a for et, a in adj.items() if et != ("Entity", "rev_G", "Item")}
    assert not torch.allclose(model(without)["Item"], out["Item"])


def test_hetero_dropout_only_while_training() -> None:
    torch.manual_seed(0)
    num_nodes, edges, cf = _hetero_inputs()
    x = {"Item": torch.randn(I, 5)}
    model = HeteroRec(num_nodes, list(edges), cf, {"Item": 5}, embedding_dim=8, dropout=0.5)
    adj = HeteroRec.adjacency(edges, num_nodes, cf)
    model.eval()
    a, b = model(adj, x), model(adj, x)
    assert torch.equal(a["Item"], b["Item"])
    model.train()
    assert not torch.equal(model(adj, x)["Item"], a["Item"])
    assert "dropout=0.5" in repr(model)


def test_hetero_reset_and_validation() -> None:
    num_nodes, edges, cf = _hetero_inputs()
    model = HeteroRec(num_nodes, list(edges), cf, side_init=0.25)
    before = model.emb["User"].detach().clone()
    torch.nn.init.zeros_(model.rel["User__F__User"])
    model.reset_parameters()
    assert not torch.equal(before, model.emb["User"])
    assert torch.all(model.rel["User__F__User"] == 0.25)
    with pytest.raises(ValueError, match="cf_edge_types"):
        HeteroRec(num_nodes, [cf[0]], cf)


def test_sparse_pair_gradient_matches_dense() -> None:
    ei = interactions()
    pair = normalized_pair(ei, U, I)
    assert torch.equal(pair.bwd.to_dense(), pair.fwd.to_dense().T)
    x = torch.randn(U, 4, requires_grad=True)
    y = torch.randn(I, 4)
    (spmm(pair, x) * y).sum().backward()
    x2 = x.detach().clone().requires_grad_(True)
    (pair.fwd.to_dense() @ x2 * y).sum().backward()
    assert x.grad is not None and x2.grad is not None
    assert torch.allclose(x.grad, x2.grad, atol=1e-6)


def test_relational_spmm_matches_per_relation_autograd() -> None:
    torch.manual_seed(0)
    a1 = normalized_pair(interactions(0), U, I)
    a2 = normalized_pair(interactions(1), U, I)
    a3 = normalized_pair(torch.stack([torch.arange(0, I, 2), torch.arange(5) % 4]), I, I, compact=True)
    assert a3.rows is not None and a3.fwd.shape == (4, (I + 1) // 2)
    xu, xi = torch.randn(U, 4, requires_grad=True), torch.randn(I, 4, requires_grad=True)
    ws = [torch.randn(4, requires_grad=True) for _ in range(3)]
    y = torch.randn(I, 4)
    (relational_spmm([a1, a2, a3], [xu, xi], [0, 0, 1], ws, I) * y).sum().backward()
    grads = [t.grad.clone() for t in (xu, xi, *ws)]  # type: ignore[union-attr]
    for t in (xu, xi, *ws):
        t.grad = None
    a3_full = normalized_pair(torch.stack([torch.arange(0, I, 2), torch.arange(5) % 4]), I, I)
    ref = sum(a.fwd.to_dense() @ x * w for a, x, w in zip((a1, a2, a3_full), (xu, xu, xi), ws, strict=True))
    (ref * y).sum().backward()  # type: ignore[union-attr]
    for got, t in zip(grads, (xu, xi, *ws), strict=True):
        assert t.grad is not None and torch.allclose(got, t.grad, atol=1e-5)


def _dense_norm(ei: torch.Tensor, num_src: int, num_dst: int) -> torch.Tensor:
    """``[num_dst, num_src]`` ``1 / sqrt(deg_s · deg_d)`` of the distinct edges, built densely."""
    a = torch.zeros(num_dst, num_src)
    a[ei[1], ei[0]] = 1.0
    deg_s, deg_d = a.sum(0), a.sum(1)
    return a * deg_d.clamp(min=1).rsqrt()[:, None] * deg_s.clamp(min=1).rsqrt()[None, :]


def _reference_propagation(model: HeteroRec, edges: dict[tuple[str, str, str], torch.Tensor],
                           x: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """HeteroRec's documented layers, one dense product per edge type (slow, obviously right): the interactions at
    every layer, the side channels at the first only."""
    n = model.num_nodes
    h = {t: e + (model.proj[t](x[t]) if t in x else 0) for t, e in model.emb.items()}
    total = dict(h)
    for layer in range(model.num_layers):
        nxt = {t: torch.zeros_like(v) for t, v in h.items()}
        for et, ei in edges.items():
            if et not in model.edge_types or (et not in model.cf_edge_types and layer > 0):
                continue
            m = _dense_norm(ei, n[et[0]], n[et[2]]) @ h[et[0]]
            nxt[et[2]] = nxt[et[2]] + (m if et in model.cf_edge_types else m * model.rel["__".join(et)])
        h = nxt
        total = {t: total[t] + h[t] for t in total}
    return {t: v / (model.num_layers + 1) for t, v in total.items()}


def test_hetero_propagation_equals_dense_reference() -> None:
    """Outputs and every parameter's gradient equal the per-edge-type dense computation, on relations that share
    a destination type, duplicate edges, sparse and dense relations and random relation vectors."""
    torch.manual_seed(0)
    num_nodes, edges, cf = _hetero_inputs()
    num_nodes["Entity"] = 7
    g = torch.Generator().manual_seed(1)
    for r, size in enumerate((40, 6, 2)):   # a dense relation, a sparse one, a tiny one; duplicates included
        ei = torch.stack([torch.randint(0, I, (size,), generator=g), torch.randint(0, 7, (size,), generator=g)])
        edges[("Item", f"K{r}", "Entity")], edges[("Entity", f"rev_K{r}", "Item")] = ei, ei.flip(0)
    x = {"Item": torch.randn(I, 5)}
    model = HeteroRec(num_nodes, list(edges), cf, {"Item": 5}, embedding_dim=6, num_layers=3).eval()
    for w in model.rel.values():
        torch.nn.init.normal_(w)
    y = {t: torch.randn(n, 6) for t, n in num_nodes.items()}
    grads = []
    for out in (model(HeteroRec.adjacency(edges, num_nodes, cf), x), _reference_propagation(model, edges, x)):
        model.zero_grad()
        sum((out[t] * y[t]).sum() for t in y).backward()  # type: ignore[union-attr]
        grads.append({k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None})
        grads[-1].update({f"out.{t}": v.detach() for t, v in out.items()})
    assert grads[0].keys() == grads[1].keys() and len(grads[0]) == len(list(model.parameters())) + 3
    for k, v in grads[0].items():
        assert torch.allclose(v, grads[1][k], atol=1e-5), k


def test_hetero_propagation_of_some_types_only() -> None:
    """``types`` returns those types' rows unchanged, skipping the last layer's rows nothing needs."""
    torch.manual_seed(0)
    num_nodes, edges, cf = _hetero_inputs()
    model = HeteroRec(num_nodes, list(edges), cf, embedding_dim=6, num_layers=3).eval()
    adj = HeteroRec.adjacency(edges, num_nodes, cf)
    full, part = model(adj), model(adj, types=("User", "Item"))
    assert set(part) == {"User", "Item"}
    assert all(torch.equal(part[t], full[t]) for t in part)
    assert set(model(adj, types=("Entity",))) == {"Entity"}
    zero = HeteroRec(num_nodes, list(edges), cf, embedding_dim=6, num_layers=0)
    assert torch.equal(zero(adj, types=("User",))["User"], zero.emb["User"])
