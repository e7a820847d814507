// TEMPLATE, not runnable as it is: graphrec fills the {{...}} placeholders from your graph mapping.
// Print the runnable query for your graph: graphrec query recommend_by_entity --cypher (with its :param lines)
// recommend_by_entity: the active run's precomputed top-K for one user, only the items linked to one
// entity ($entity: an entity id such as 'genre:Comedy' or 'tag:73'), best first.
//
// A filter over the precomputed top-K (as recommend.cypher, plus finding the entity), so fewer than
// $k may come back; an unknown entity gives no rows. {{user}}, {{item}}, {{entity}} are the graph
// mapping's labels (default User, Item, Entity; {{entity}} a label expression over the mapped entity
// labels) and {{user_id}}, {{item_id}}, {{entity_id}} their id properties ({{entity_id}}: the first
// entity type's, so finding the entity is an index seek); $entity_keys are all the entities' id
// properties: only when they differ per label (more than one) are the entity labels scanned too.
// $title_key is the item's title property.
//
// Parameters (Neo4j Browser; every parameter a query names is required, from any client):
//   (ids are strings, as graphrec stores them: :param user => '287'; a number, 287, matches no node)
//   :param user => '1'
//   :param k => 10
//   :param entity => 'genre:Comedy'
//   :param entity_keys => ['id']
//   :param title_key => 'title'
CALL () {
  MATCH (e:{{entity}}) WHERE e.{{entity_id}} = $entity RETURN e
  UNION
  WITH 1 AS one WHERE size($entity_keys) > 1
  MATCH (e:{{entity}}) WHERE any(key IN $entity_keys WHERE e[key] = $entity) RETURN e
}
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
