// Write precomputed top-K recommendations of one run. Rows: {u: user id, items: [item ids by rank],
// s: their scores as comma-separated decimals}. {{src}} is the user label, {{dst}} the item label,
// {{src_id}} and {{dst_id}} their id properties.
UNWIND $rows AS row
MATCH (u:{{src}})
WHERE u.{{src_id}} = row.u
WITH u, row, split(row.s, ',') AS scores
UNWIND range(0, size(row.items) - 1) AS k
MATCH (i:{{dst}})
WHERE i.{{dst_id}} = row.items[k]
CREATE (u)-[:RECOMMENDED {score: toFloat(scores[k]), rank: k + 1, run: $run}]->(i)
