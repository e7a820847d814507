// KG triples of many types in one query, MERGE-keyed on (head, type, tail, source); see create_kg_rels.
// $rows: [[head id, tail id, {source}, TYPE]]
UNWIND $rows AS row
MATCH (a:{{src}} {id: row[0]})
MATCH (b:{{dst}} {id: row[1]})
MERGE (a)-[r:$(row[3]) {source: row[2].source}]->(b)
SET r += row[2]
