// TEMPLATE, not runnable as it is: graphrec fills the {{...}} placeholders from your graph mapping.
// Print the runnable query for your graph: graphrec query recommend_realtime --cypher (with its :param lines)
// recommend_realtime: top-K items for a user computed now from the ACTIVE run's embeddings.
//
// The user's vector u (run-keyed property, so user and item vectors always come from the same run)
// is extended to [u, 0] and looked up in the run's MIPS vector index, whose item vectors were
// extended to norm M at publish time: cosine order there equals dot-product order, the model's
// score. Items the user already has are skipped, as in the run's precomputed list: those reached by
// the relationship types the run learnt from (`run.interactions`; a run that records none: every type
// but RECOMMENDED). They are collected once (one expand of the user's relationships, not one check per
// candidate), and the index is asked for max($k, $candidates) + that many neighbours, so K unseen
// items come back when the catalogue has them. {{interactions}} are the active run's types, pasted
// when the query is rendered, so the expand reads only those relationships (a user's other ones, e.g.
// thousands of TAGGED, cost nothing); {{interaction_names}} is the same list as strings: when the active
// run learnt from other types than the query was rendered for (a switch since), the second branch
// reads them instead, so the answer never depends on when the query was printed. The HNSW search is
// approximate and its beam is the number of neighbours asked for: $candidates trades latency for
// recall (benchmarks.serve_bench reports recall@20 against exact top-20). `score` is the recovered
// dot product. {{user}}/{{item}} are the mapped labels, {{user_id}}/{{item_id}} their id properties,
// $title_key the item's title property.
//
// Parameters (Neo4j Browser):
//   (ids are strings, as graphrec stores them: :param user => '287'; a number, 287, matches no node)
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
     COLLECT { MATCH (u)-[:{{interactions}}]->(s) WHERE run.interactions = {{interaction_names}} RETURN s
               UNION
               MATCH (u)-[r:!RECOMMENDED]->(s:{{item}})
               WHERE NOT coalesce(run.interactions = {{interaction_names}}, false)
                 AND (run.interactions IS NULL OR type(r) IN run.interactions)
               RETURN s } AS seen
WHERE qnorm > 0
CALL db.index.vector.queryNodes(run.mips_index,
     CASE WHEN $k > $candidates THEN $k ELSE $candidates END + size(seen), q + [0.0]) YIELD node AS i, score
WITH run, qnorm, seen, i, score
WHERE NOT i IN seen
RETURN i.{{item_id}} AS item, i[$title_key] AS title, (2.0 * score - 1.0) * qnorm * run.mips_norm AS score,
       run.id AS run
ORDER BY score DESC
LIMIT $k
