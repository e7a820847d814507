// Nodes of one label, MERGE-keyed on id (uniqueness constraint), properties set from row[1].
// $rows: [[id: STRING, properties: MAP]]
UNWIND $rows AS row
MERGE (n:{{label}} {id: row[0]})
SET n += row[1]
