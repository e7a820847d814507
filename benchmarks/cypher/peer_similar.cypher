// The cheapest possible item-to-item lookup, the peer of cypher/recommend/similar_items.cypher in
// benchmarks.serve_bench: the item's run vector ($prop) asked of the item index $index.
MATCH (x:Item {id: $item})
CALL db.index.vector.queryNodes($index, $k + 1, x[$prop]) YIELD node, score
RETURN node.id AS item, score
