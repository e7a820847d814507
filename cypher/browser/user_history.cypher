// Browser guide, slide "A user": what user $user interacted with in training, and those items' genres
// and tags, drawn as a graph. Parameters: $user (user id, a string), $k (items shown, e.g. 10).
MATCH (u:User {id: $user})-[r]->(i:Item)
WHERE r.split = 'train'
WITH u, r, i
ORDER BY coalesce(r.rating, r.weight, 0) DESC
LIMIT $k
OPTIONAL MATCH (i)-[about:HAS_GENRE|HAS_TAG]->(e:Entity)
RETURN u, r, i, about, e
