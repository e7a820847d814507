// The interactions of a batch of users ($ids): every relationship of the types $types (null = every
// type but RECOMMENDED) to an item, with its type and weight (the property $weight_keys[type], when the
// mapping names one). {{user}}/{{item}} are the mapped labels, {{user_id}}/{{item_id}} their id properties.
UNWIND $ids AS id
MATCH (u:{{user}})
WHERE u.{{user_id}} = id
MATCH (u)-[r]->(i:{{item}})
WHERE type(r) <> 'RECOMMENDED' AND ($types IS NULL OR type(r) IN $types)
WITH id, i, type(r) AS t, $weight_keys[type(r)] AS wk, r
RETURN id, collect({i: i.{{item_id}}, t: t, w: CASE WHEN wk IS NULL THEN null ELSE r[wk] END}) AS items
