// Relationships identified by (start, type, end, tag), e.g. one TAGGED per tag a user gave an item.
// $rows: [{s: STRING, d: STRING, p: MAP with p.tag}]
UNWIND $rows AS row
MATCH (a:{{src}} {id: row.s})
MATCH (b:{{dst}} {id: row.d})
MERGE (a)-[r:{{type}} {tag: row.p.tag}]->(b)
SET r += row.p
