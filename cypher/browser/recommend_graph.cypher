// TEMPLATE, not runnable as it is: graphrec fills the {{...}} placeholders from your graph mapping.
// Print the runnable query for your graph: graphrec query browser/recommend_graph --cypher
// Browser guide, slide "Recommendations as a graph": user $user's precomputed top-$k of the active run
// (the run with the greatest `activated`), with each item's genres and tags, drawn as a graph.
// Parameters: $user (user id, a string: '287', not 287), $k (how many, e.g. 10).
// {{user}}/{{item}}/{{entity}} are the graph mapping's labels, {{user_id}} the user id property.
MATCH (run:ModelRun)
WHERE run.activated IS NOT NULL
WITH run ORDER BY run.activated DESC LIMIT 1
MATCH (u:{{user}})-[rec:RECOMMENDED {run: run.id}]->(i:{{item}})
WHERE u.{{user_id}} = $user AND rec.rank <= $k
OPTIONAL MATCH (i)-[about]->(e:{{entity}})
RETURN u, rec, i, about, e
