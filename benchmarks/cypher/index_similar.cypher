// HNSW sweep (benchmarks.hnsw_bench): similar_items' search against one given cosine index
// $index: the $k nearest items to item $item's run vector (property $prop), itself excluded.
MATCH (x:Item {id: $item})
CALL db.index.vector.queryNodes($index, $k + 1, x[$prop]) YIELD node, score
WITH x, node, score
WHERE node <> x
RETURN node.id AS item
ORDER BY score DESC
LIMIT $k
