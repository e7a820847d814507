// KG triples of many types in one query, for types the loader has proven new. The type is a dynamic
// type from the row (Neo4j 5.26 `$(…)`), always a sanitised UPPER_SNAKE name from graphrec.ingest.kg
// (it is data passed as a parameter, never pasted into the text).
// $rows: [[head id, tail id, {source}, TYPE]]
UNWIND $rows AS row
MATCH (a:{{src}} {id: row[0]})
MATCH (b:{{dst}} {id: row[1]})
CREATE (a)-[r:$(row[3])]->(b)
SET r = row[2]
