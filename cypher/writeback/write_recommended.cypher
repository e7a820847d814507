// Write precomputed top-K recommendations of one run, for a batch of users. $items: the batch's distinct
// item ids, each looked up once per batch (a batch's lists share most of their items; one index seek per
// relationship cost more than the relationship's creation). Rows: {u: user id, items: [positions in
// $items, by rank], s: their scores as comma-separated decimals}. An item id with no node is skipped, as
// is a missing user (the counts check after the writes catches either). {{src}} is the user label,
// {{dst}} the item label, {{src_id}} and {{dst_id}} their id properties.
CALL () {
  UNWIND range(0, size($items) - 1) AS p
  OPTIONAL MATCH (i:{{dst}})
  WHERE i.{{dst_id}} = $items[p]
  WITH p, i
  ORDER BY p
  RETURN collect([i]) AS nodes
}
UNWIND $rows AS row
MATCH (u:{{src}})
WHERE u.{{src_id}} = row.u
WITH nodes, u, row, split(row.s, ',') AS scores
UNWIND range(0, size(row.items) - 1) AS k
WITH u, nodes[row.items[k]][0] AS i, scores[k] AS score, k
WHERE i IS NOT NULL
CREATE (u)-[:RECOMMENDED {score: toFloat(score), rank: k + 1, run: $run}]->(i)
