// Empty the graph a batch at a time (benchmarks start each case from an empty database); run until 0.
// Relationships go first, so a batch of dense nodes never needs a huge transaction.
MATCH ()-[r]->()
WITH r LIMIT $limit
DELETE r
RETURN count(*) AS deleted
;
MATCH (n)
WITH n LIMIT $limit
DETACH DELETE n
RETURN count(*) AS deleted
