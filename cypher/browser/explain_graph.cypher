// TEMPLATE, not runnable as it is: graphrec fills the {{...}} placeholders from your graph mapping.
// Print the runnable query for your graph: graphrec query browser/explain_graph --cypher
// explain_graph: why item $item for user $user: the shortest meaningful paths between them, each returned
// as a path so Neo4j Browser draws it (cypher/recommend/explain.cypher returns the same paths as plain
// values, for programs).
//
// Kinds, each anchored on the user and the item (index seeks) and expanded only from them:
//   friend         (user)-[:FRIEND]-(friend)-[interacted]->(item)                    2 hops
//   shared_entity  (user)-[interacted]->(other item)--(genre/tag/KG entity)--(item)  3 hops
//   co_user        (user)-[interacted]->(other item)<-(another user)-[interacted]->(item)  3 hops
// "interacted" is any user→item relationship except RECOMMENDED. Shortest first, then in the
// order above; at most $limit paths in all. {{user}}/{{item}}/{{entity}} are the graph mapping's
// labels, {{user_id}}/{{item_id}} the id properties; `via` names each node by the first of $name_keys
// it has.
//
// Parameters (Neo4j Browser):
//   (ids are strings, as graphrec stores them: :param user => '287'; a number, 287, matches no node)
//   :param user => '1'
//   :param item => '50'
//   :param limit => 5
//   :param name_keys => ['title', 'name', 'id']
MATCH (u:{{user}}), (x:{{item}})
WHERE u.{{user_id}} = $user AND x.{{item_id}} = $item
CALL (u, x) {
  MATCH p = (u)-[:FRIEND]-(:{{user}})-[:!RECOMMENDED]->(x)
  RETURN p, 'friend' AS kind, 1 AS pref
  LIMIT $limit
  UNION
  MATCH p = (u)-[:!RECOMMENDED]->(j:{{item}})--(:{{entity}})--(x)
  WHERE j <> x
  RETURN p, 'shared_entity' AS kind, 2 AS pref
  LIMIT $limit
  UNION
  MATCH p = (u)-[:!RECOMMENDED]->(j:{{item}})<-[:!RECOMMENDED]-(v:{{user}})-[:!RECOMMENDED]->(x)
  WHERE j <> x AND v <> u
  RETURN p, 'co_user' AS kind, 3 AS pref
  LIMIT $limit
}
RETURN kind, p AS path, length(p) AS hops,
       [n IN nodes(p) | head([key IN $name_keys WHERE n[key] IS NOT NULL | toString(n[key])])] AS via
ORDER BY hops, pref
LIMIT $limit
