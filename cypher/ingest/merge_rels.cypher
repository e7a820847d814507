// Relationships identified by (start, type, end): both ends MATCHed on their unique id, then MERGE.
// $rows: [{s: STRING, d: STRING, p: MAP}]
UNWIND $rows AS row
MATCH (a:{{src}} {id: row.s})
MATCH (b:{{dst}} {id: row.d})
MERGE (a)-[r:{{type}}]->(b)
SET r += row.p
