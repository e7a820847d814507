// Replace the RECOMMENDED relationships of run $run for a batch of refreshed users, in one transaction
// per batch (a reader sees a user's old list or the new one). $items: the batch's distinct item ids, each
// looked up once per batch. Rows: {u: user id, items: [positions in $items, by rank], s: their scores as
// comma-separated decimals}. {{user}}/{{item}} are the mapped labels, {{user_id}}/{{item_id}} their id
// properties.
CALL () {
  UNWIND range(0, size($items) - 1) AS p
  OPTIONAL MATCH (i:{{item}})
  WHERE i.{{item_id}} = $items[p]
  WITH p, i
  ORDER BY p
  RETURN collect([i]) AS nodes
}
UNWIND $rows AS row
MATCH (u:{{user}})
WHERE u.{{user_id}} = row.u
CALL (u) {
  MATCH (u)-[old:RECOMMENDED]->()
  WHERE old.run = $run
  DELETE old
}
WITH nodes, u, row, split(row.s, ',') AS scores
UNWIND range(0, size(row.items) - 1) AS k
WITH u, nodes[row.items[k]][0] AS i, scores[k] AS score, k
WHERE i IS NOT NULL
CREATE (u)-[:RECOMMENDED {score: toFloat(score), rank: k + 1, run: $run}]->(i)
