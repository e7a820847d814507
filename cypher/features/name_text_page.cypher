// One page of nodes in id order (keyset paging on {{id}}) whose text is their name property $name_key
// (entities), then the text properties $text_keys.
MATCH (n:{{label}})
WHERE n.{{id}} > $after
WITH n
ORDER BY n.{{id}}
LIMIT $limit
RETURN collect([n.{{id}}, coalesce(toString(n[$name_key]), ''),
                [key IN $text_keys WHERE n[key] IS NOT NULL | toString(n[key])], [], coalesce(n[$hash_key], ''),
                n[$embedding_key] IS NOT NULL]) AS rows
