// The refresh benchmark gives interactions back (or new ones): rows {u, i, p: the relationship's properties}.
UNWIND $rows AS row
MATCH (u:User {id: row.u}), (i:Item {id: row.i})
CREATE (u)-[r:RATED]->(i)
SET r = row.p
