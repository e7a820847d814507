// Users `graphrec refresh` folds in: they have interactions (relationships of the types $types to an
// item; null = every type but RECOMMENDED) and either no vector of the run ($prop) or a number of
// distinct items other than the run saw at publish ($seen_prop). Users with no interactions are left to
// the cold-start path. {{user}}/{{item}} are the mapped labels, {{user_id}} the user's id property.
// Returns the user's id and their current number of distinct items.
MATCH (u:{{user}})
WITH u, u[$prop] AS v, u[$seen_prop] AS seen,
     COUNT { MATCH (u)-[r]->(i:{{item}})
             WHERE type(r) <> 'RECOMMENDED' AND ($types IS NULL OR type(r) IN $types)
             RETURN DISTINCT i } AS n
WHERE n > 0 AND (v IS NULL OR seen IS NULL OR n <> seen)
RETURN u.{{user_id}} AS id, n
