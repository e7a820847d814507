// The refresh benchmark's interactions of some users, with their properties: $users (ids).
UNWIND $users AS uid
MATCH (u:User {id: uid})-[r:RATED]->(i:Item)
RETURN u.id AS u, i.id AS i, properties(r) AS p
