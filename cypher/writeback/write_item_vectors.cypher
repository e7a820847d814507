// Write one run's item embeddings under $key and their MIPS-augmented form under $mips_key
// ([v, sqrt(M^2 - |v|^2)], so that cosine order on it equals dot-product order for a query [u, 0]).
// Rows: {id, v, m}. {{label}} is the item label.
UNWIND $rows AS row
MATCH (n:{{label}} {id: row.id})
SET n[$key] = row.v, n[$mips_key] = row.m
