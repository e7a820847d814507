// lookup: whether a user id and an item id exist (used to tell "unknown id" from "no results").
// {{user}}/{{item}} are the mapped labels, {{user_id}}/{{item_id}} their id properties.
//
// Parameters (Neo4j Browser):
//   :param user => '1'
//   :param item => '50'
RETURN EXISTS { MATCH (u:{{user}}) WHERE u.{{user_id}} = $user } AS user,
       EXISTS { MATCH (i:{{item}}) WHERE i.{{item_id}} = $item } AS item,
       EXISTS { MATCH (r:ModelRun) WHERE r.activated IS NOT NULL } AS active_run
