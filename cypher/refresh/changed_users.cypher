// Users `graphrec refresh` folds in: they have interactions (relationships of the types $types to an
// item; null = every type but RECOMMENDED) and a number of distinct items other than the run saw at
// publish or at the last refresh ($seen_prop; none recorded: a new user). Users with no interactions are
// left to the cold-start path. {{user}}/{{item}} are the mapped labels, {{user_id}} the user's id property.
// Returns the user's id and their current number of distinct items.
MATCH (u:{{user}})
WITH u, u[$seen_prop] AS seen,
     COUNT { MATCH (u)-[r]->(i:{{item}})
             WHERE type(r) <> 'RECOMMENDED' AND ($types IS NULL OR type(r) IN $types)
             RETURN DISTINCT i } AS n
WHERE n > 0 AND (seen IS NULL OR n <> seen)
RETURN u.{{user_id}} AS id, n
