// entity_exists: the entity with this id, if any (genre/tag filters of `recommend`).
// {{entity}} is the entity label expression of the graph mapping, $entity_keys their id properties.
//
// Parameters (Neo4j Browser):
//   :param entity => 'genre:Comedy'
//   :param entity_keys => ['id']
MATCH (e:{{entity}})
WHERE any(key IN $entity_keys WHERE e[key] = $entity)
RETURN $entity AS id, e.name AS name, e.kind AS kind
LIMIT 1
