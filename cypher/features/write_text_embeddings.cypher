// Write text embeddings and the hash of the text they encode. The embedding comes as comma-separated
// decimals, `row.s`, as writeback/write_vectors takes them (one string decodes faster than a list of
// floats); a null `row.s` (and hash) removes both (the node's text became empty).
// {{label}} is the node label, {{id}} its id property.
UNWIND $rows AS row
MATCH (n:{{label}})
WHERE n.{{id}} = row.id
SET n.text_embedding = CASE WHEN row.s IS NULL THEN null ELSE [x IN split(row.s, ',') | toFloat(x)] END,
    n.text_hash = row.hash
