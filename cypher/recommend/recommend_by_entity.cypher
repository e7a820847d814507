// recommend_by_entity: the active run's precomputed top-K for one user, only the items linked to one
// entity ($entity: an entity id such as 'genre:Comedy' or 'tag:73'), best first.
//
// A filter over the precomputed top-K (as recommend.cypher, plus finding the entity), so fewer than
// $k may come back; an unknown entity gives no rows. {{user}}, {{item}}, {{entity}} are the graph
// mapping's labels (default User, Item, Entity; {{entity}} a label expression over the mapped entity
// labels) and {{user_id}}, {{item_id}} their id properties; $entity_keys are the entities' id
// properties (they may differ per label, so finding the entity scans the entity labels) and
// $title_key the item's title property.
//
// Parameters (Neo4j Browser; every parameter a query names is required, from any client):
//   :param user => '1'
//   :param k => 10
//   :param entity => 'genre:Comedy'
//   :param entity_keys => ['id']
//   :param title_key => 'title'
MATCH (e:{{entity}})
WHERE any(key IN $entity_keys WHERE e[key] = $entity)
WITH collect(e) AS es
WHERE size(es) > 0
MATCH (run:ModelRun) WHERE run.activated IS NOT NULL
WITH es, run ORDER BY run.activated DESC LIMIT 1
MATCH (u:{{user}})-[r:RECOMMENDED]->(i:{{item}})
USING INDEX u:{{user}}({{user_id}})
WHERE u.{{user_id}} = $user AND r.run = run.id AND any(e IN es WHERE EXISTS { (i)--(e) })
RETURN i.{{item_id}} AS item, i[$title_key] AS title, r.score AS score, r.rank AS rank, run.id AS run
ORDER BY r.rank
LIMIT $k
