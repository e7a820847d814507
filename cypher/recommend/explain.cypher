// explain: why item $item for user $user: the shortest meaningful paths between them, each returned
// as a path so Neo4j Browser draws it.
//
// Kinds, each anchored on the user and the item (index seeks) and expanded only from them:
//   friend         (user)-[:FRIEND]-(friend)-[interacted]->(item)                    2 hops
//   shared_entity  (user)-[interacted]->(other item)--(genre/tag/KG entity)--(item)  3 hops
//   co_user        (user)-[interacted]->(other item)<-(another user)-[interacted]->(item)  3 hops
// "interacted" is any user→item relationship except RECOMMENDED. Shortest first, then in the
// order above; at most $limit paths in all.
//
// Parameters (Neo4j Browser):
//   :param user => '1'
//   :param item => '50'
//   :param limit => 5
MATCH (u:User {id: $user}), (x:Item {id: $item})
CALL (u, x) {
  MATCH p = (u)-[:FRIEND]-(:User)-[:!RECOMMENDED]->(x)
  RETURN p, 'friend' AS kind, 1 AS pref
  LIMIT $limit
  UNION
  MATCH p = (u)-[:!RECOMMENDED]->(j:Item)--(:Entity)--(x)
  WHERE j <> x
  RETURN p, 'shared_entity' AS kind, 2 AS pref
  LIMIT $limit
  UNION
  MATCH p = (u)-[:!RECOMMENDED]->(j:Item)<-[:!RECOMMENDED]-(v:User)-[:!RECOMMENDED]->(x)
  WHERE j <> x AND v <> u
  RETURN p, 'co_user' AS kind, 3 AS pref
  LIMIT $limit
}
RETURN kind, p AS path, length(p) AS hops,
       [n IN nodes(p) | coalesce(n.title, n.name, n.id)] AS via
ORDER BY hops, pref
LIMIT $limit
