"""Write a model's output into Neo4j: embeddings, top-K RECOMMENDED, model runs, the atomic switch.

Takes tensors and id maps, never a model (docs/DESIGN.md §1)::

    from graphrec.writeback import RunSpec, publish
    result = publish(driver, RunSpec(model, params, metrics), graph.ids, user_emb, item_emb,
                     exclude=torch.cat([graph.train, graph.valid, graph.test], dim=1), k=20)
"""

from graphrec.writeback.publish import PublishResult, publish, publish_artefact
from graphrec.writeback.refresh import RefreshResult, refresh
from graphrec.writeback.runs import RunInfo, RunSpec, activate, active_run, delete_run, get_run, list_runs, prune
from graphrec.writeback.topk import top_k

__all__ = ["PublishResult", "RefreshResult", "RunInfo", "RunSpec", "activate", "active_run", "delete_run", "get_run",
           "list_runs", "prune", "publish", "publish_artefact", "refresh", "top_k"]
