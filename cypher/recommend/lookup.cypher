// TEMPLATE, not runnable as it is: graphrec fills the {{...}} placeholders from your graph mapping.
// Print the runnable query for your graph: graphrec query lookup --cypher (with its :param lines)
// lookup: whether a user id and an item id exist (used to tell "unknown id" from "no results").
// {{user}}/{{item}} are the mapped labels, {{user_id}}/{{item_id}} their id properties.
//
// Parameters (Neo4j Browser):
//   (ids are strings, as graphrec stores them: :param user => '287'; a number, 287, matches no node)
//   :param user => '1'
//   :param item => '50'
RETURN EXISTS { MATCH (u:{{user}}) WHERE u.{{user_id}} = $user } AS user,
       EXISTS { MATCH (i:{{item}}) WHERE i.{{item_id}} = $item } AS item,
       EXISTS { MATCH (r:ModelRun) WHERE r.activated IS NOT NULL } AS active_run
