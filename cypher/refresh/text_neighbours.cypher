// For each new item ($ids) with a `text_embedding`, its nearest items by text (vector index
// $text_index) that have a vector of the run ($prop), at most $limit, with their cosine score.
// {{item}} is the mapped item label, {{item_id}} its id property.
UNWIND $ids AS id
MATCH (x:{{item}})
WHERE x.{{item_id}} = id AND x.text_embedding IS NOT NULL
CALL (x) {
  CALL db.index.vector.queryNodes($text_index, $limit * 2, x.text_embedding) YIELD node, score
  WITH x, node, score
  WHERE node <> x AND node[$prop] IS NOT NULL
  RETURN collect({id: node.{{item_id}}, w: score})[..$limit] AS near
}
RETURN id, near
