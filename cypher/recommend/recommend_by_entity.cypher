// recommend_by_entity: the active run's precomputed top-K for one user, only the items linked to one
// entity ($entity: an Entity id such as 'genre:Comedy' or 'tag:73'), best first.
//
// A filter over the precomputed top-K (as recommend.cypher, same cost plus one entity seek), so fewer
// than $k may come back; an unknown entity gives no rows.
//
// Parameters (Neo4j Browser; every parameter a query names is required, from any client):
//   :param user => '1'
//   :param k => 10
//   :param entity => 'genre:Comedy'
MATCH (e:Entity {id: $entity})
MATCH (run:ModelRun) WHERE run.activated IS NOT NULL
WITH e, run ORDER BY run.activated DESC LIMIT 1
MATCH (u:User {id: $user})-[r:RECOMMENDED]->(i:Item)
USING INDEX u:User(id)
WHERE r.run = run.id AND EXISTS { (i)--(e) }
RETURN i.id AS item, i.title AS title, r.score AS score, r.rank AS rank, run.id AS run
ORDER BY r.rank
LIMIT $k
