// One page of nodes of a label in id order (keyset paging on the id property {{id}}, graphrec's `id`
// or the mapped one), as columns: ids, text embeddings ([] where missing or not asked for) and the
// numeric properties in $props.
MATCH (n:{{label}})
WHERE n.{{id}} > $after
WITH n
ORDER BY n.{{id}}
LIMIT $limit
RETURN collect(n.{{id}}) AS ids,
       collect(CASE WHEN $with_text THEN coalesce(n[$text_key], []) ELSE [] END) AS text,
       collect([p IN $props | toFloatOrNull(n[p])]) AS props
