// Relationships identified by (start, type, end): both ends MATCHed on their unique id, then MERGE.
// $rows: [[start id: STRING, end id: STRING, properties: MAP]]
UNWIND $rows AS row
MATCH (a:{{src}} {id: row[0]})
MATCH (b:{{dst}} {id: row[1]})
MERGE (a)-[r:{{type}}]->(b)
SET r += row[2]
