// Entities with a second, kind label (:Entity:Genre …), MERGE-keyed on id under the primary label.
// $rows: [{id: STRING, p: MAP}]
UNWIND $rows AS row
MERGE (n:{{node}} {id: row.id})
SET n:{{label}}
SET n += row.p
