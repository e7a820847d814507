// Relationships the loader has proven new (their type had no relationship when the load began):
// both ends MATCHed on their unique id, then CREATE. Re-runs and resumed loads use merge_rels* instead.
// $rows: [[start id: STRING, end id: STRING, properties: MAP]]
UNWIND $rows AS row
MATCH (a:{{src}} {id: row[0]})
MATCH (b:{{dst}} {id: row[1]})
CREATE (a)-[r:{{type}}]->(b)
SET r = row[2]
