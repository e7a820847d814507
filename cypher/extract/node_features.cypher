// The features of the nodes of a label whose id property {{id}} is in $ids, as columns: their ids
// (a node that is not there yields no row; order is not promised, callers map by id), text embeddings
// ([] where missing or not asked for) and the numeric properties in $props (null where missing).
UNWIND $ids AS key
MATCH (n:{{label}})
WHERE n.{{id}} = key
RETURN collect(key) AS ids,
       collect(CASE WHEN $with_text THEN coalesce(n[$text_key], []) ELSE [] END) AS text,
       collect([p IN $props | toFloatOrNull(n[p])]) AS props
