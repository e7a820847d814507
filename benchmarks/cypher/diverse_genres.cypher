// Each item's genres (benchmarks.diverse_bench counts the distinct genres of a served top 20).
MATCH (i:Item)-[:HAS_GENRE]->(g:Entity)
RETURN i.id AS item, collect(g.id) AS genres
