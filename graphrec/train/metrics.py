"""Full-ranking top-K evaluation: the protocol of the KGAT, KGIN and LightGCN papers.

Every user with at least one held-out item ranks *all* items by ``user_emb @ item_emb.T``, with the
user's known positives (training, and validation when testing) masked out. Recall@K divides the
hits by the number of held-out items, Precision@K by K, HitRate@K is 1 if anything was hit, and
NDCG@K uses binary relevance with the ideal DCG over ``min(|held-out|, K)`` positions. Every figure
is the mean over those users.

Beyond accuracy (``tail=True``, from the same top-K): ``coverage@K`` is the share of the catalogue in at least
one evaluated user's top-K, ``gini@K`` the Gini coefficient of how often each catalogue item is recommended, and
``pop@K`` the mean popularity percentile (by training interactions) of the recommended items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from graphrec.loaders.types import RecGraph
from graphrec.ranking import top_unseen

if TYPE_CHECKING:
    from graphrec.train.rerank import CoverageRerank

METRICS = ("recall", "ndcg", "precision", "hit")


def _by_position(pairs: Tensor, users: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Pairs whose user is in sorted ``users``: (position of the user, item), sorted by position."""
    u, i = pairs[0].long(), pairs[1].long()
    pos = torch.searchsorted(users, u).clamp(max=max(users.numel() - 1, 0))
    keep = users[pos] == u if users.numel() else torch.zeros_like(u, dtype=torch.bool)
    pos, i = pos[keep], i[keep]
    order = torch.argsort(pos, stable=True)
    pos, i = pos[order], i[order]
    bounds = torch.searchsorted(pos, torch.arange(users.numel() + 1))
    return pos, i, bounds


@torch.no_grad()
def rank_metrics(
    user_emb: Tensor,
    item_emb: Tensor,
    truth: Tensor,
    exclude: Iterable[Tensor] = (),
    ks: Sequence[int] = (20,),
    batch_size: int = 1024,
) -> dict[str, float]:
    """Recall, NDCG, Precision and HitRate at every ``k`` in ``ks``, ranking all items by ``user_emb @ item_emb.T``.

    Computed in user batches on ``user_emb``'s device; see :func:`rank_scored` for the arguments.
    """
    device = user_emb.device
    items_t = item_emb.to(device).float().T

    def score(users: Tensor) -> Tensor:
        return (user_emb[users.to(device)].float() @ items_t).float()

    return rank_scored(score, item_emb.size(0), truth, exclude, ks, batch_size)


@torch.no_grad()
def rank_scored(
    score: Callable[[Tensor], Tensor],
    num_items: int,
    truth: Tensor,
    exclude: Iterable[Tensor] = (),
    ks: Sequence[int] = (20,),
    batch_size: int = 1024,
    *,
    tail: bool = False,
    items: Tensor | None = None,
    popularity: Tensor | None = None,
    rerank: CoverageRerank | None = None,
) -> dict[str, float]:
    """Recall, NDCG, Precision and HitRate at every ``k`` in ``ks`` for any scorer, ranking all items.

    Args:
        score: ``score(users)`` → ``[len(users), num_items]`` scores (any device).
        num_items: number of items.
        truth: ``[2, E]`` held-out (user, item) pairs to find.
        exclude: ``[2, E]`` pair tensors masked out of each user's ranking (known positives).
        ks: cut-offs (default: ``(20,)``).
        batch_size: users scored at once (default: ``1024``).
        tail: add the beyond-accuracy figures of :func:`tail_metrics` (default: ``False``).
        items: rank only these item indices (the catalogue; default: every item).
        popularity: ``[num_items]`` training interactions per item for ``pop@K`` (default: the items'
            counts in ``exclude``, the known positives).
        rerank: re-rank the users' lists together, in user order (:mod:`graphrec.train.rerank`; default: none).

    Returns:
        ``{"recall@20": …, "ndcg@20": …, "precision@20": …, "hit@20": …, …}`` plus ``"users"``,
        the number of users evaluated (and ``coverage@K``, ``gini@K``, ``pop@K`` with ``tail``). All zero
        when ``truth`` is empty.
    """
    return rank_groups(score, num_items, truth, exclude, ks, batch_size, tail=tail, items=items,
                       popularity=popularity, rerank=rerank)["all"]


def _catalogue(num_items: int, items: Tensor | None) -> Tensor:
    if items is None:
        return torch.ones(num_items, dtype=torch.bool)
    mask = torch.zeros(num_items, dtype=torch.bool)
    mask[items.long().cpu()] = True
    return mask


@torch.no_grad()
def rank_groups(
    score: Callable[[Tensor], Tensor],
    num_items: int,
    truth: Tensor,
    exclude: Iterable[Tensor] = (),
    ks: Sequence[int] = (20,),
    batch_size: int = 1024,
    *,
    tail: bool = False,
    items: Tensor | None = None,
    popularity: Tensor | None = None,
    groups: Mapping[str, Tensor] | None = None,
    rerank: CoverageRerank | None = None,
) -> dict[str, dict[str, float]]:
    """:func:`rank_scored` over every evaluated user (``"all"``) and over each of ``groups`` (name → user
    indices), from one scoring pass: ``{"all": {…}, name: {…}, …}``. With ``rerank``, the evaluated users' lists are
    re-ranked together (the lists served together are the ones measured)."""
    exclude = [e.cpu() for e in exclude]
    users = torch.unique(truth[0].long().cpu())
    views = {"all": torch.ones(users.numel(), dtype=torch.bool)}
    for name, members in (groups or {}).items():
        views[name] = torch.isin(users, members.long().cpu())
    tally = {v: _Tally(ks, num_items, tail) for v in views}
    catalogue = _catalogue(num_items, items)
    if users.numel() and num_items:
        for s, scores, top, best in _ranked(score, num_items, truth, exclude, ks, batch_size, users, catalogue,
                                            rerank):
            for v, member in views.items():
                tally[v].add(member[s:s + top.size(0)], scores, top, best)
    if popularity is None:
        popularity = torch.bincount(torch.cat([e[1].long() for e in exclude] or [torch.empty(0, dtype=torch.long)]),
                                    minlength=num_items)
    pct = popularity_percentile(popularity.cpu(), catalogue)
    return {v: t.result(catalogue, pct if tail else None) for v, t in tally.items()}


def _ranked(score: Callable[[Tensor], Tensor], num_items: int, truth: Tensor, exclude: list[Tensor],
            ks: Sequence[int], batch_size: int, users: Tensor, catalogue: Tensor,
            rerank: CoverageRerank | None) -> Iterator[tuple[int, dict[str, Tensor], Tensor, Tensor]]:
    """Per batch of ``users``: its start, per-user metric values, top-``max(ks)`` items and their scores
    (the lists re-ranked together by ``rerank`` where given)."""
    t_pos, t_item, t_bounds = _by_position(truth.cpu(), users)
    kmax = min(max(ks), num_items)
    discount = 1.0 / torch.log2(torch.arange(2, kmax + 2, dtype=torch.float64))
    ideal = torch.cat([torch.zeros(1, dtype=torch.float64), discount.cumsum(0)])
    for s, top, best in _lists(score, num_items, exclude, kmax, batch_size, users, catalogue, rerank):
        e = s + top.size(0)
        rel = torch.zeros(e - s, num_items, dtype=torch.bool, device=top.device)
        a, b = int(t_bounds[s]), int(t_bounds[e])
        rel[(t_pos[a:b] - s).to(top.device), t_item[a:b].to(top.device)] = True
        n_rel = rel.sum(1).double().cpu()
        hits = rel.gather(1, top).double().cpu()
        per_user: dict[str, Tensor] = {}
        for k in ks:
            kk = min(k, kmax)
            h = hits[:, :kk]
            n_hit = h.sum(1)
            per_user[f"recall@{k}"] = n_hit / n_rel
            per_user[f"precision@{k}"] = n_hit / k
            per_user[f"hit@{k}"] = (n_hit > 0).double()
            per_user[f"ndcg@{k}"] = (h * discount[:kk]).sum(1) / ideal[n_rel.clamp(max=kk).long()]
        yield s, per_user, top.cpu(), best.cpu()


def _lists(score: Callable[[Tensor], Tensor], num_items: int, exclude: list[Tensor], kmax: int, batch_size: int,
           users: Tensor, catalogue: Tensor, rerank: CoverageRerank | None) -> Iterator[tuple[int, Tensor, Tensor]]:
    """Per batch of ``users``: its start and its top-``kmax`` unseen catalogue items with their scores; with
    ``rerank``, every user's window is ranked first and the lists re-ranked together."""
    excl = [_by_position(e, users) for e in exclude]
    off = None if bool(catalogue.all()) else ~catalogue
    width = kmax if rerank is None else max(kmax, rerank.window)

    def batches() -> Iterator[tuple[int, Tensor, Tensor]]:
        for s in range(0, users.numel(), batch_size):
            e = min(s + batch_size, users.numel())
            scores = score(users[s:e]).float()
            if off is not None:
                scores[:, off.to(scores.device)] = float("-inf")
            rows = [pos[int(bounds[s]):int(bounds[e])] - s for pos, _, bounds in excl]
            cols = [item[int(bounds[s]):int(bounds[e])] for _, item, bounds in excl]
            top, best = top_unseen(scores, torch.cat(rows) if rows else torch.empty(0, dtype=torch.long),
                                   torch.cat(cols) if cols else torch.empty(0, dtype=torch.long), width, pad=False)
            yield s, top, best

    if rerank is None:
        yield from batches()
        return
    parts = [(top.cpu(), best.cpu()) for _, top, best in batches()]
    top, best = rerank(torch.cat([t for t, _ in parts]), torch.cat([b for _, b in parts]))
    for s in range(0, users.numel(), batch_size):
        yield s, top[s:s + batch_size, :kmax], best[s:s + batch_size, :kmax]


class _Tally:
    """Running sums of per-user metrics and, per cut-off, how often each item was recommended."""

    def __init__(self, ks: Sequence[int], num_items: int, tail: bool) -> None:
        self.ks = tuple(ks) if tail else ()
        self.sums = {f"{m}@{k}": 0.0 for k in ks for m in METRICS}
        self.users = 0
        self.counts = {k: torch.zeros(num_items, dtype=torch.long) for k in self.ks}

    def add(self, member: Tensor, per_user: dict[str, Tensor], top: Tensor, best: Tensor) -> None:
        if not bool(member.any()):
            return
        self.users += int(member.sum())
        for key, v in per_user.items():
            self.sums[key] += float(v[member].sum())
        if not self.ks:
            return
        top, shown = top[member], torch.isfinite(best[member])   # masked picks are not recommendations
        for k in self.ks:
            self.counts[k] += torch.bincount(top[:, :k][shown[:, :k]], minlength=self.counts[k].numel())

    def result(self, catalogue: Tensor, pct: Tensor | None) -> dict[str, float]:
        n = float(self.users)
        out = {key: (v / n if n else 0.0) for key, v in self.sums.items()}
        if pct is not None:
            for k in self.ks:
                out.update(tail_metrics(self.counts[k], catalogue, pct, k))
        return {**out, "users": n}


def popularity_percentile(popularity: Tensor, catalogue: Tensor | None = None) -> Tensor:
    """Each item's popularity percentile in ``[0, 1]`` among the ``catalogue`` items (default: all).

    The share of the other catalogue items that are less popular, ties counted half: ``(less + (equal − 1) / 2)
    / (n − 1)``; the least popular item is 0 and the most popular 1 (0.5 each when all are equally popular).
    Items outside the catalogue get 0.
    """
    pop = popularity.double()
    cat = catalogue if catalogue is not None else torch.ones(pop.numel(), dtype=torch.bool)
    values = torch.sort(pop[cat]).values
    n = values.numel()
    less = torch.searchsorted(values, pop, right=False).double()
    equal = torch.searchsorted(values, pop, right=True).double() - less
    pct = (less + (equal - 1).clamp(min=0) / 2) / max(n - 1, 1)
    return torch.where(cat, pct, torch.zeros_like(pct))


def gini(counts: Tensor) -> float:
    """Gini coefficient of ``counts`` (0: every entry equal; ``(n − 1) / n``: one entry has everything)."""
    x = torch.sort(counts.double()).values
    n, total = x.numel(), float(x.sum())
    if n == 0 or total == 0:
        return 0.0
    i = torch.arange(1, n + 1, dtype=torch.float64)
    return float(((2 * i - n - 1) * x).sum() / (n * total))


def tail_metrics(counts: Tensor, catalogue: Tensor, pct: Tensor, k: int) -> dict[str, float]:
    """Beyond accuracy at ``k``, from how often each item is in the evaluated users' top-``k`` (``counts``).

    ``coverage@k``: share of the catalogue items recommended to at least one user; ``gini@k``: Gini coefficient
    of the counts over every catalogue item (0: all recommended equally; near 1: a few items take every slot);
    ``pop@k``: mean popularity percentile (:func:`popularity_percentile`) over every recommendation made.
    """
    c = counts[catalogue]
    shown = float(counts.sum())
    return {f"coverage@{k}": float((c > 0).double().mean()) if c.numel() else 0.0,
            f"gini@{k}": gini(c),
            f"pop@{k}": float((counts.double() * pct).sum() / shown) if shown else 0.0}


def evaluate_embeddings(
    user_emb: Tensor,
    item_emb: Tensor,
    graph: RecGraph,
    ks: Sequence[int] = (20, 10),
    split: str = "test",
    batch_size: int = 1024,
) -> dict[str, float]:
    """Score any user/item embedding pair (a trained model, a GDS FastRP run…) on a split of ``graph``.

    Scores are ``user_emb @ item_emb.T``; training positives are masked, and validation positives
    too when ``split="test"``.

    Args:
        user_emb: ``[graph.num_users, d]`` user embeddings (any device).
        item_emb: ``[graph.num_items, d]`` item embeddings.
        graph: the graph whose ``train``/``valid``/``test`` pairs define the protocol.
        ks: cut-offs (default: ``(20, 10)``).
        split: ``"test"`` or ``"valid"`` (default: ``"test"``).
        batch_size: users scored at once (default: ``1024``).

    Returns:
        The dictionary of :func:`rank_metrics`.

    Raises:
        ValueError: on an unknown split or embeddings whose shapes do not fit the graph.
    """
    if split not in ("test", "valid"):
        raise ValueError(f"split must be 'test' or 'valid', not {split!r}")
    if user_emb.dim() != 2 or item_emb.dim() != 2 or user_emb.size(1) != item_emb.size(1):
        raise ValueError(
            f"embeddings must be 2-d with equal widths, got {tuple(user_emb.shape)} and {tuple(item_emb.shape)}"
        )
    if user_emb.size(0) != graph.num_users or item_emb.size(0) != graph.num_items:
        raise ValueError(
            f"expected {graph.num_users} user and {graph.num_items} item rows, "
            f"got {user_emb.size(0)} and {item_emb.size(0)}"
        )
    truth = graph.test if split == "test" else graph.valid
    exclude = [graph.train, graph.valid] if split == "test" else [graph.train]
    return rank_metrics(user_emb, item_emb, truth, exclude, ks, batch_size)
