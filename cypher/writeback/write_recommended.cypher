// Write precomputed top-K recommendations of one run. Rows: {u: user id, items: [item ids by rank],
// scores: [scores by rank]}. {{src}} is the user label, {{dst}} the item label.
UNWIND $rows AS row
MATCH (u:{{src}} {id: row.u})
UNWIND range(0, size(row.items) - 1) AS k
MATCH (i:{{dst}} {id: row.items[k]})
CREATE (u)-[:RECOMMENDED {score: row.scores[k], rank: k + 1, run: $run}]->(i)
