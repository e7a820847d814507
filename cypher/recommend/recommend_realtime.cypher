// recommend_realtime: top-K items for a user computed now from the ACTIVE run's embeddings.
//
// The user's vector u (run-keyed property, so user and item vectors always come from the same run)
// is extended to [u, 0] and looked up in the run's MIPS vector index, whose item vectors were
// extended to norm M at publish time: cosine order there equals dot-product order, the model's
// score. Items the user interacted with are skipped: they are collected once (one expand of the
// user's relationships, not one check per candidate), and the index is asked for max($k, $candidates)
// + that many neighbours, so K unseen items come back when the catalogue has them. The HNSW
// search is approximate and its beam is the number of neighbours asked for: $candidates trades
// latency for recall (graphrec.bench.serve_bench reports recall@20 against exact top-20).
// `score` is the recovered dot product. {{user}}/{{item}} are the mapped labels, {{user_id}}/{{item_id}}
// their id properties, $title_key the item's title property.
//
// Parameters (Neo4j Browser):
//   :param user => '1'
//   :param k => 10
//   :param candidates => 100
//   :param title_key => 'title'
MATCH (run:ModelRun) WHERE run.activated IS NOT NULL
WITH run ORDER BY run.activated DESC LIMIT 1
MATCH (u:{{user}})
WHERE u.{{user_id}} = $user
WITH run, u, u[run.prop] AS q
WHERE q IS NOT NULL
WITH run, q, sqrt(reduce(s = 0.0, x IN q | s + x * x)) AS qnorm,
     COLLECT { MATCH (u)-[:!RECOMMENDED]->(s:{{item}}) RETURN DISTINCT s } AS seen
WHERE qnorm > 0
CALL db.index.vector.queryNodes(run.mips_index,
     CASE WHEN $k > $candidates THEN $k ELSE $candidates END + size(seen), q + [0.0]) YIELD node AS i, score
WITH run, qnorm, seen, i, score
WHERE NOT i IN seen
RETURN i.{{item_id}} AS item, i[$title_key] AS title, (2.0 * score - 1.0) * qnorm * run.mips_norm AS score,
       run.id AS run
ORDER BY score DESC
LIMIT $k
