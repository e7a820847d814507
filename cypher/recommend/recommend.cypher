// TEMPLATE, not runnable as it is: graphrec fills the {{...}} placeholders from your graph mapping.
// Print the runnable query for your graph: graphrec query recommend --cypher (with its :param lines)
// recommend: the precomputed top-K of the ACTIVE model run for one user, best first.
//
// The active run is the ModelRun with the greatest `activated` number (set by the atomic switch);
// only its RECOMMENDED relationships are read, so a result never mixes two runs. Cost: one index
// seek on the user, then the user's RECOMMENDED relationships (K per kept run).
// Only items linked to one entity: recommend_by_entity.cypher.
// {{user}}, {{item}} are the graph mapping's labels (default User, Item) and {{user_id}}, {{item_id}}
// their id properties; $title_key is the item's title property.
//
// Parameters (Neo4j Browser; every parameter a query names is required, from any client):
//   (ids are strings, as graphrec stores them: :param user => '287'; a number, 287, matches no node)
//   :param user => '1'
//   :param k => 10
//   :param title_key => 'title'
MATCH (run:ModelRun) WHERE run.activated IS NOT NULL
WITH run ORDER BY run.activated DESC LIMIT 1
MATCH (u:{{user}})-[r:RECOMMENDED]->(i:{{item}})
USING INDEX u:{{user}}({{user_id}})
WHERE u.{{user_id}} = $user AND r.run = run.id
RETURN i.{{item_id}} AS item, i[$title_key] AS title, r.score AS score, r.rank AS rank, run.id AS run
ORDER BY r.rank
LIMIT $k
