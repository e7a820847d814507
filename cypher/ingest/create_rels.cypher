// Relationships the loader has proven new (their type had no relationship when the load began):
// both ends MATCHed on their unique id, then CREATE. Re-runs and resumed loads use merge_rels* instead.
// $rows: [{s: STRING, d: STRING, p: MAP}]
UNWIND $rows AS row
MATCH (a:{{src}} {id: row.s})
MATCH (b:{{dst}} {id: row.d})
CREATE (a)-[r:{{type}}]->(b)
SET r = row.p
