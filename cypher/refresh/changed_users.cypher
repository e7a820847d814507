// Users `graphrec refresh` folds in: they have interactions (relationships of the types $types to an
// item; null = every type but RECOMMENDED) and a number of distinct items other than the run saw at
// publish or at the last refresh ($seen_prop; none recorded: a new user). Users with no interactions are
// left to the cold-start path. {{user}}/{{item}} are the mapped labels, {{user_id}} the user's id property.
// Cheap first: every user's number of relationships of the types {{types}} ($types, or every type in the
// database but RECOMMENDED) comes from the degree store (getDegree, no relationship is read); only a user
// whose number differs from the recorded one, or who has none recorded, has their distinct items counted.
// A user with as many relationships as the run saw items is taken as unchanged (see README, refresh).
// Returns the user's id and their current number of distinct items.
MATCH (u:{{user}})
WITH u, u[$seen_prop] AS seen, COUNT { (u)-[:{{types}}]->() } AS degree
WHERE degree > 0 AND (seen IS NULL OR degree <> seen)
WITH u, seen,
     COUNT { MATCH (u)-[r]->(i:{{item}})
             WHERE type(r) <> 'RECOMMENDED' AND ($types IS NULL OR type(r) IN $types)
             RETURN DISTINCT i } AS n
WHERE n > 0 AND (seen IS NULL OR n <> seen)
RETURN u.{{user_id}} AS id, n
