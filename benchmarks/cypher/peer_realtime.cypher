// The cheapest possible vector-index lookup for a user, the peer of
// cypher/recommend/recommend_realtime.cypher in benchmarks.serve_bench: the user's run vector
// ($prop, extended with 0 for the MIPS index $index) asked for exactly $k neighbours; no seen filter,
// no score recovery.
MATCH (u:User {id: $user})
CALL db.index.vector.queryNodes($index, $k, u[$prop] + [0.0]) YIELD node, score
RETURN node.id AS item, score
