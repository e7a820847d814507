// One page of nodes in `id` order (keyset paging) whose text is their name (entities).
MATCH (n:{{label}})
WHERE n.id > $after
WITH n
ORDER BY n.id
LIMIT $limit
RETURN collect([n.id, coalesce(toString(n[$name_key]), ''), '', [], coalesce(n[$hash_key], ''),
                n[$embedding_key] IS NOT NULL]) AS rows
