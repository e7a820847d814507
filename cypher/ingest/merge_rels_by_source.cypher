// KG triples identified by (head, type, tail, source): two raw relation names that sanitise to the same
// type stay two relationships.
// $rows: [{s: STRING, d: STRING, p: MAP with p.source}]
UNWIND $rows AS row
MATCH (a:{{src}} {id: row.s})
MATCH (b:{{dst}} {id: row.d})
MERGE (a)-[r:{{type}} {source: row.p.source}]->(b)
SET r += row.p
