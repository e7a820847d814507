"""graphrec's Python API end to end: connect, load, stream the graph, fit, publish, recommend, explain.

    python examples/quickstart.py                        # MovieLens-100K into the local server
    python examples/quickstart.py csv PATH MAPPING.toml  # your own CSV export with a column mapping

Connection settings come from the usual places (``graphrec.toml``, ``GRAPHREC_NEO4J_URI``,
``GRAPHREC_NEO4J_PASSWORD``…); ``graphrec db start`` runs a local server. CI runs this file.
"""

from __future__ import annotations

import sys

import graphrec


def main(argv: list[str]) -> None:
    dataset = argv[0] if argv else "movielens-100k"
    path = argv[1] if len(argv) > 1 else None
    mapping = argv[2] if len(argv) > 2 else None
    with graphrec.connect() as gr:
        report = gr.load(dataset, path, mapping=mapping, split="u1" if dataset == "movielens-100k" else None)
        print(f"loaded {report.dataset}: {report.counts}")
        graph = gr.graph()
        print(f"graph: {graph.num_users} users, {graph.num_items} items, {graph.train.size(1)} train pairs")
        artefact = graphrec.fit(graph)   # the default model; holdout=False learns from every interaction
        chosen = artefact.info["selection"]["params"]
        print(f"fitted {artefact.model} on {artefact.train_pairs} interactions; chosen on validation: {chosen}")
        run = gr.publish(artefact, k=10)
        print(f"published run {run.run_id}: {run.recommended} RECOMMENDED")
        user = graph.ids[graph.user_type][0]
        recs = gr.recommend(user, k=5)
        print(f"top 5 for user {user}:")
        for r in recs:
            print(f"  {r.item:>8}  {r.score:8.4f}  {r.title or ''}")
        if recs:
            item = recs[0].item
            print(f"similar to {item}: {[s.item for s in gr.similar(item, k=3)]}")
            for reason in gr.explain_text(user, [item]):
                print(f"  why: {reason.sentence()}")
            for e in gr.explain(user, item, limit=2):
                print(f"  path: {e.sentence()}")


if __name__ == "__main__":
    main(sys.argv[1:])
