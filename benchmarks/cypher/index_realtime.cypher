// HNSW sweep (benchmarks.hnsw_bench): recommend_realtime's search against one given MIPS index
// $index instead of the active run's: user $user's run vector (property $prop) extended by 0, asked for
// $candidates + the user's degree neighbours, the user's own items (by the run's interaction types
// {{types}}, as recommend_realtime) skipped, top $k.
MATCH (u:User {id: $user})
WITH u, u[$prop] AS q, COUNT { (u)-[:{{types}}]->(:Item) } AS seen
WHERE q IS NOT NULL
CALL db.index.vector.queryNodes($index, $candidates + seen, q + [0.0]) YIELD node AS i, score
WITH u, i, score
WHERE NOT EXISTS { (u)-[:{{types}}]->(i) }
RETURN i.id AS item
ORDER BY score DESC
LIMIT $k
