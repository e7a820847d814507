// TEMPLATE, not runnable as it is: graphrec fills the {{...}} placeholders from your graph mapping.
// Print the runnable query for your graph: graphrec query explain_text --cypher (with its :param lines)
// explain_text: the evidence for one readable sentence per item of $items for user $user
// ("Because you rated Star Wars (1977) 5★ — same genre Sci-Fi; 212 people who rated it also rated this").
//
// For each item x the user's strongest history item (the anchor) is picked: most co-users (other
// users who interacted with both it and x), then most entities shared with x, then the heaviest
// interaction. Returned per item, in the order of $items (unknown ids are skipped), only plain values:
// the anchor's id, title and the user's relationship to it (type, weight: the first of $weight_keys
// it has, weight_key: which one), the entities it shares with x ({kind, name}), the co-user count,
// and up to 3 friends who interacted with x.
// Cost and memory: one expand of the user's relationships, then one item at a time (a subquery per
// item): the item's co-users (other users who interacted with it), then each history item's users,
// counted per history item where they are among those co-users. The memory is bounded by the user's
// history and one item's co-users: co-users are counted, never collected as (item, history item,
// co-user) rows (those took all of a 1 GB heap's transaction memory for the heaviest MovieLens-100K
// user, whose 50 reasons now peak at ~2 MB, PROFILE GlobalMemory). Callers give the transaction a
// timeout. "interacted" is any user→item relationship
// except RECOMMENDED. {{user}}/{{item}}/{{entity}} are the graph mapping's labels, {{user_id}}/{{item_id}}
// the id properties, $title_key the item's title property; entities are named by the first of
// $name_keys they have.
//
// Parameters (Neo4j Browser):
//   (ids are strings, as graphrec stores them: :param user => '287'; a number, 287, matches no node)
//   :param user => '1'
//   :param items => ['50', '181']
//   :param title_key => 'title'
//   :param name_keys => ['title', 'name', 'id']
//   :param weight_keys => ['rating', 'weight']
MATCH (u:{{user}})
WHERE u.{{user_id}} = $user
WITH u, COLLECT {
  MATCH (u)-[r:!RECOMMENDED]->(s:{{item}})
  RETURN {item: s, type: type(r),
          weight: head([key IN $weight_keys WHERE r[key] IS NOT NULL | r[key]]),
          weight_key: head([key IN $weight_keys WHERE r[key] IS NOT NULL | key])} AS h
} AS history
UNWIND range(0, size(coalesce($items, [])) - 1) AS pos
MATCH (x:{{item}})
WHERE x.{{item_id}} = $items[pos]
WITH u, x, pos, history,
     COLLECT { MATCH (x)--(e:{{entity}}) RETURN DISTINCT e } AS xents,
     COLLECT { MATCH (u)-[:FRIEND]-(f:{{user}}) WHERE EXISTS { (f)-[:!RECOMMENDED]->(x) }
               RETURN DISTINCT head([key IN $name_keys WHERE f[key] IS NOT NULL | toString(f[key])]) } AS friends
OPTIONAL CALL (u, x, history, xents) {
  // x's co-users once, then per history item j: how many of j's users are among them (counted)
  WITH u, x, history, COLLECT { MATCH (x)<-[:!RECOMMENDED]-(v:{{user}}) WHERE v <> u RETURN DISTINCT v } AS xv
  UNWIND history AS h
  WITH h, h.item AS j, xv WHERE j <> x
  CALL (j, xv) {
    MATCH (j)<-[:!RECOMMENDED]-(v:{{user}})
    WHERE v IN xv
    RETURN count(DISTINCT v) AS co
  }
  WITH j, h, co, [(j)--(e:{{entity}}) WHERE e IN xents | e] AS shared
  RETURN j AS anchor, h, co, shared
  ORDER BY co DESC, size(shared) DESC, coalesce(h.weight, 0) DESC
  LIMIT 1
}
RETURN x.{{item_id}} AS item, x[$title_key] AS title,
       anchor.{{item_id}} AS anchor, anchor[$title_key] AS anchor_title,
       h.type AS anchor_rel, h.weight AS anchor_weight, h.weight_key AS anchor_weight_key,
       [e IN shared | {kind: coalesce(e.kind, head(labels(e))),
                       name: head([key IN $name_keys WHERE e[key] IS NOT NULL | toString(e[key])])}][..3] AS shared,
       co AS co_users, friends[..3] AS friends, size(friends) AS friend_count
ORDER BY pos
