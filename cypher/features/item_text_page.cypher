// One page of items in `id` order (keyset paging) with what their text is made of: title, text and
// the names of up to $max_linked linked entities (genres, tags, KG neighbours) with their kind.
// Property names come in as parameters so absent keys raise no warnings on a fresh graph.
MATCH (n:{{label}})
WHERE n.id > $after
WITH n
ORDER BY n.id
LIMIT $limit
CALL (n) {
  MATCH (n)--(e:Entity)
  WHERE e.name IS NOT NULL
  WITH DISTINCT e
  ORDER BY e.kind, e.name
  LIMIT $max_linked
  RETURN collect([coalesce(e.kind, ''), toString(e.name)]) AS linked
}
RETURN collect([n.id, coalesce(toString(n[$title_key]), ''), coalesce(toString(n[$text_key]), ''), linked,
                coalesce(n[$hash_key], ''), n[$embedding_key] IS NOT NULL]) AS rows
