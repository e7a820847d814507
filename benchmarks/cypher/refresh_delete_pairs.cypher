// The refresh benchmark takes interactions away: rows {u, i}; every RATED from u to i is deleted.
UNWIND $rows AS row
MATCH (u:User {id: row.u})-[r:RATED]->(i:Item {id: row.i})
DELETE r
