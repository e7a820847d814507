// TEMPLATE, not runnable as it is: graphrec fills the {{...}} placeholders from your graph mapping.
// Print the runnable query for your graph: graphrec query browser/user_history --cypher
// Browser guide, slide "A user": what user $user interacted with in training, and those items' genres
// and tags, drawn as a graph. Parameters: $user (user id, a string: '287', not 287), $k (items shown,
// e.g. 10).
// {{user}}/{{item}}/{{entity}} are the graph mapping's labels, {{user_id}} the user id property; a
// relationship without a `split` (a graph graphrec did not load) counts as training.
MATCH (u:{{user}})-[r:!RECOMMENDED]->(i:{{item}})
WHERE u.{{user_id}} = $user AND coalesce(r.split, 'train') = 'train'
WITH u, r, i
ORDER BY coalesce(r.rating, r.weight, 0) DESC
LIMIT $k
OPTIONAL MATCH (i)-[about]->(e:{{entity}})
RETURN u, r, i, about, e
