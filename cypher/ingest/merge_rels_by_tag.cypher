// Relationships identified by (start, type, end, tag), e.g. one TAGGED per tag a user gave an item.
// $rows: [[start id, end id, properties with tag]]
UNWIND $rows AS row
MATCH (a:{{src}} {id: row[0]})
MATCH (b:{{dst}} {id: row[1]})
MERGE (a)-[r:{{type}} {tag: row[2].tag}]->(b)
SET r += row[2]
