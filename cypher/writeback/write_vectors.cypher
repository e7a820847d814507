// Write one run's embeddings onto nodes under the run-keyed property $key (e.g. `embedding_<run key>`).
// Rows: {id: node id, s: the vector as comma-separated decimals}; a string travels and decodes much
// faster than a list of floats over Bolt. {{label}} is the node label (User, Item, Entity, or the
// mapped one), {{id}} its id property.
UNWIND $rows AS row
MATCH (n:{{label}})
WHERE n.{{id}} = row.id
SET n[$key] = [x IN split(row.s, ',') | toFloat(x)]
