// Nodes of one label, MERGE-keyed on id (uniqueness constraint), properties set from row.p.
// $rows: [{id: STRING, p: MAP}]
UNWIND $rows AS row
MERGE (n:{{label}} {id: row.id})
SET n += row.p
