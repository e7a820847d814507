// Write text embeddings and the hash of the text they encode; a null embedding removes both
// (the node's text became empty). {{label}} is the node label, {{id}} its id property.
UNWIND $rows AS row
MATCH (n:{{label}})
WHERE n.{{id}} = row.id
SET n.text_embedding = row.embedding,
    n.text_hash = row.hash
