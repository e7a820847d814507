// TEMPLATE, not runnable as it is: graphrec fills the {{...}} placeholders from your graph mapping.
// Print the runnable query for your graph: graphrec query entity_exists --cypher (with its :param lines)
// entity_exists: the entity with this id, if any (genre/tag filters of `recommend`).
// {{entity}} is the entity label expression of the graph mapping, {{entity_id}} the first entity type's
// id property (an index seek), $entity_keys all their id properties (scanned only when there are
// several).
//
// Parameters (Neo4j Browser):
//   :param entity => 'genre:Comedy'
//   :param entity_keys => ['id']
CALL () {
  MATCH (e:{{entity}}) WHERE e.{{entity_id}} = $entity RETURN e
  UNION
  WITH 1 AS one WHERE size($entity_keys) > 1
  MATCH (e:{{entity}}) WHERE any(key IN $entity_keys WHERE e[key] = $entity) RETURN e
}
RETURN $entity AS id, e.name AS name, e.kind AS kind
LIMIT 1
