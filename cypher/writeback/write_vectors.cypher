// Write one run's embeddings onto nodes under the run-keyed property $key (e.g. `embedding_<run key>`).
// Rows: {id: node id, v: LIST<FLOAT>}. {{label}} is the node label (User, Item, Entity).
UNWIND $rows AS row
MATCH (n:{{label}} {id: row.id})
SET n[$key] = row.v
