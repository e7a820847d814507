// TEMPLATE, not runnable as it is: graphrec fills the {{...}} placeholders from your graph mapping.
// Print the runnable query for your graph: graphrec query explain --cypher (with its :param lines)
// explain: why item $item for user $user: the shortest meaningful paths between them.
//
// Kinds, each anchored on the user and the item (index seeks) and expanded only from them:
//   friend         (user)-[:FRIEND]-(friend)-[interacted]->(item)                    2 hops
//   shared_entity  (user)-[interacted]->(other item)--(genre/tag/KG entity)--(item)  3 hops
//   co_user        (user)-[interacted]->(other item)<-(another user)-[interacted]->(item)  3 hops
// shared_entity is a hash join on the entity: the item's entities on one side, the entities of the
// user's history items on the other (walking from the history items to the item's entities one pair at a
// time expands every relationship of every popular history item: 125,941 db hits for one lastfm-2k user,
// 6,410 joined). "interacted" is any user→item relationship except RECOMMENDED. Shortest first, then in the
// order above; at most $limit paths in all. Each path comes back as plain values, only what a
// reader needs (never the nodes' embeddings): `nodes` ({labels, id, name}, user first, item last),
// `rels` ({type, forward: whether it points along the path, weight: the first of $weight_keys it
// has}), `via` (the nodes' names). {{user}}/{{item}}/{{entity}} are the graph mapping's labels,
// {{user_id}}/{{item_id}} the id properties, $entity_keys the entities' id properties; a node's name
// is the first of $name_keys it has. cypher/browser/explain_graph.cypher draws the same paths in
// Neo4j Browser.
//
// Parameters (Neo4j Browser):
//   (ids are strings, as graphrec stores them: :param user => '287'; a number, 287, matches no node)
//   :param user => '1'
//   :param item => '50'
//   :param limit => 5
//   :param name_keys => ['title', 'name', 'id']
//   :param entity_keys => ['id']
//   :param weight_keys => ['rating', 'weight']
MATCH (u:{{user}}), (x:{{item}})
WHERE u.{{user_id}} = $user AND x.{{item_id}} = $item
CALL (u, x) {
  MATCH p = (u)-[:FRIEND]-(:{{user}})-[:!RECOMMENDED]->(x)
  RETURN p, 'friend' AS kind, 1 AS pref
  LIMIT $limit
  UNION
  MATCH p = (u)-[:!RECOMMENDED]->(j:{{item}})--(e:{{entity}})--(x)
  USING JOIN ON e
  WHERE j <> x
  RETURN p, 'shared_entity' AS kind, 2 AS pref
  LIMIT $limit
  UNION
  MATCH p = (u)-[:!RECOMMENDED]->(j:{{item}})<-[:!RECOMMENDED]-(v:{{user}})-[:!RECOMMENDED]->(x)
  WHERE j <> x AND v <> u
  RETURN p, 'co_user' AS kind, 3 AS pref
  LIMIT $limit
}
WITH kind, pref, p ORDER BY length(p), pref LIMIT $limit
WITH kind, pref, p, [n IN nodes(p) | {
       labels: labels(n),
       id: CASE WHEN n:{{user}} THEN n.{{user_id}} WHEN n:{{item}} THEN n.{{item_id}}
                ELSE head([key IN $entity_keys WHERE n[key] IS NOT NULL | n[key]]) END,
       name: head([key IN $name_keys WHERE n[key] IS NOT NULL | toString(n[key])])}] AS ns
RETURN kind, length(p) AS hops, [n IN ns | coalesce(n.name, toString(n.id))] AS via,
       [n IN ns | {labels: n.labels, id: n.id, name: coalesce(n.name, n.id)}] AS nodes,
       [i IN range(0, length(p) - 1) | {
          type: type(relationships(p)[i]),
          forward: startNode(relationships(p)[i]) = nodes(p)[i],
          weight: head([key IN $weight_keys WHERE relationships(p)[i][key] IS NOT NULL
                        | relationships(p)[i][key]])}] AS rels
ORDER BY hops, pref
