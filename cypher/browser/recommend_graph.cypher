// Browser guide, slide "Recommendations as a graph": user $user's precomputed top-$k of the active run
// (the run with the greatest `activated`), with each item's genres and tags, drawn as a graph.
// Parameters: $user (user id, a string), $k (how many, e.g. 10).
MATCH (run:ModelRun)
WHERE run.activated IS NOT NULL
WITH run ORDER BY run.activated DESC LIMIT 1
MATCH (u:User {id: $user})-[rec:RECOMMENDED {run: run.id}]->(i:Item)
WHERE rec.rank <= $k
OPTIONAL MATCH (i)-[about:HAS_GENRE|HAS_TAG]->(e:Entity)
RETURN u, rec, i, about, e
