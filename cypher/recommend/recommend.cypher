// recommend: the precomputed top-K of the ACTIVE model run for one user, best first.
//
// The active run is the ModelRun with the greatest `activated` number (set by the atomic switch);
// only its RECOMMENDED relationships are read, so a result never mixes two runs. Cost: one index
// seek on the user, then the user's RECOMMENDED relationships (K per kept run).
// With $entity set (an Entity id such as 'genre:Comedy' or 'tag:73'), only recommendations linked
// to that entity are kept (a filter over the precomputed top-K, so fewer than $k may come back).
//
// Parameters (Neo4j Browser):
//   :param user => '1'
//   :param k => 10
//   :param entity => null
OPTIONAL MATCH (e:Entity {id: $entity})
WITH e
MATCH (run:ModelRun) WHERE run.activated IS NOT NULL
WITH e, run ORDER BY run.activated DESC LIMIT 1
MATCH (u:User {id: $user})-[r:RECOMMENDED]->(i:Item)
USING INDEX u:User(id)
WHERE r.run = run.id
  AND ($entity IS NULL OR EXISTS { (i)--(e) })
RETURN i.id AS item, i.title AS title, r.score AS score, r.rank AS rank, run.id AS run
ORDER BY r.rank
LIMIT $k
