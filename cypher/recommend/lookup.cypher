// lookup: whether a user id and an item id exist (used to tell "unknown id" from "no results").
//
// Parameters (Neo4j Browser):
//   :param user => '1'
//   :param item => '50'
RETURN EXISTS { MATCH (:User {id: $user}) } AS user, EXISTS { MATCH (:Item {id: $item}) } AS item,
       EXISTS { MATCH (r:ModelRun) WHERE r.activated IS NOT NULL } AS active_run
