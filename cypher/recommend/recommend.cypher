// recommend: the precomputed top-K of the ACTIVE model run for one user, best first.
//
// The active run is the ModelRun with the greatest `activated` number (set by the atomic switch);
// only its RECOMMENDED relationships are read, so a result never mixes two runs. Cost: one index
// seek on the user, then the user's RECOMMENDED relationships (K per kept run).
// Only items linked to one entity: recommend_by_entity.cypher.
//
// Parameters (Neo4j Browser; every parameter a query names is required, from any client):
//   :param user => '1'
//   :param k => 10
MATCH (run:ModelRun) WHERE run.activated IS NOT NULL
WITH run ORDER BY run.activated DESC LIMIT 1
MATCH (u:User {id: $user})-[r:RECOMMENDED]->(i:Item)
USING INDEX u:User(id)
WHERE r.run = run.id
RETURN i.id AS item, i.title AS title, r.score AS score, r.rank AS rank, run.id AS run
ORDER BY r.rank
LIMIT $k
