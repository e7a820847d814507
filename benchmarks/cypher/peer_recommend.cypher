// The cheapest possible precomputed lookup, the peer of cypher/recommend/recommend.cypher in
// benchmarks.serve_bench: the user's RECOMMENDED relationships by rank, no run selection.
MATCH (u:User {id: $user})-[r:RECOMMENDED]->(i:Item)
RETURN i.id AS item, r.score AS score
ORDER BY r.rank
LIMIT $k
