// entity_exists: the entity with this id, if any (genre/tag filters of `recommend`).
//
// Parameters (Neo4j Browser):
//   :param entity => 'genre:Comedy'
MATCH (e:Entity {id: $entity})
RETURN e.id AS id, e.name AS name, e.kind AS kind
