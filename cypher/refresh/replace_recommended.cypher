// Replace the RECOMMENDED relationships of run $run for a batch of refreshed users, in one transaction
// per batch (a reader sees a user's old list or the new one). Rows: {u: user id, items: [item ids by
// rank], s: their scores as comma-separated decimals}. {{user}}/{{item}} are the mapped labels,
// {{user_id}}/{{item_id}} their id properties.
UNWIND $rows AS row
MATCH (u:{{user}})
WHERE u.{{user_id}} = row.u
CALL (u) {
  MATCH (u)-[old:RECOMMENDED]->()
  WHERE old.run = $run
  DELETE old
}
WITH u, row, split(row.s, ',') AS scores
UNWIND range(0, size(row.items) - 1) AS k
MATCH (i:{{item}})
WHERE i.{{item_id}} = row.items[k]
CREATE (u)-[:RECOMMENDED {score: toFloat(scores[k]), rank: k + 1, run: $run}]->(i)
