// A synthetic user–item graph for the loader benchmark, generated server-side: $users users,
// $items items, $genres genre entities (2 per item) and $ratings RATED relationships with
// skewed item popularity (rand()^2), random ts and 20 % test split. Run in implicit transactions.
UNWIND range(0, $users - 1) AS u
CALL (u) { CREATE (:User {id: 'su' + toString(u)}) } IN TRANSACTIONS OF 50000 ROWS
;
UNWIND range(0, $items - 1) AS i
CALL (i) { CREATE (:Item {id: 'si' + toString(i), title: 'Synthetic item ' + toString(i)}) } IN TRANSACTIONS OF 50000 ROWS
;
UNWIND range(0, $genres - 1) AS g
CREATE (:Entity:Genre {id: 'genre:s' + toString(g), name: 's' + toString(g), kind: 'genre'})
;
MATCH (i:Item) WHERE i.id STARTS WITH 'si'
CALL (i) {
  UNWIND [toInteger(rand() * $genres), toInteger(rand() * $genres)] AS g
  WITH DISTINCT i, g
  MATCH (e:Entity {id: 'genre:s' + toString(g)})
  CREATE (i)-[:HAS_GENRE]->(e)
} IN TRANSACTIONS OF 10000 ROWS
;
UNWIND range(0, $ratings - 1) AS k
CALL (k) {
  MATCH (u:User {id: 'su' + toString(toInteger(rand() * $users))})
  MATCH (i:Item {id: 'si' + toString(toInteger(rand() * rand() * $items))})
  CREATE (u)-[:RATED {rating: 1.0, ts: 1000000 + k, split: CASE WHEN rand() < 0.2 THEN 'test' ELSE 'train' END}]->(i)
} IN TRANSACTIONS OF 20000 ROWS
