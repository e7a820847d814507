// One page of items in id order (keyset paging on {{id}}) with what their text is made of: the title
// property $title_key, the text properties $text_keys and the names of up to $max_linked linked
// entities ({{entity}}: genres, tags, KG neighbours) with their kind (`kind`, else the lower-cased
// label), an entity's name being the first of $name_keys it has.
// Property names come in as parameters so absent keys raise no warnings on a fresh graph.
MATCH (n:{{label}})
WHERE n.{{id}} > $after
WITH n
ORDER BY n.{{id}}
LIMIT $limit
CALL (n) {
  MATCH (n)--(e:{{entity}})
  WITH DISTINCT e
  WITH e, head([key IN $name_keys WHERE e[key] IS NOT NULL | toString(e[key])]) AS name
  WHERE name IS NOT NULL
  WITH e, name, coalesce(e.kind, toLower(head(labels(e)))) AS kind
  ORDER BY kind, name
  LIMIT $max_linked
  RETURN collect([kind, name]) AS linked
}
RETURN collect([n.{{id}}, coalesce(toString(n[$title_key]), ''),
                [key IN $text_keys WHERE n[key] IS NOT NULL | toString(n[key])], linked,
                coalesce(n[$hash_key], ''), n[$embedding_key] IS NOT NULL]) AS rows
