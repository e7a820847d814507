// Entities with a second, kind label (:Entity:Genre …), MERGE-keyed on id under the primary label.
// $rows: [[id: STRING, properties: MAP]]
UNWIND $rows AS row
MERGE (n:{{node}} {id: row[0]})
SET n:{{label}}
SET n += row[1]
