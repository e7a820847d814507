// Write one run's item embeddings under $key and their MIPS-augmented form under $mips_key:
// [v, e] with e = sqrt(M^2 - |v|^2) computed by the caller, so that cosine order on it equals
// dot-product order for a query [u, 0]. Only the one extra coordinate travels, not a second vector.
// Rows: {id, s: the vector as comma-separated decimals, e}. {{label}} is the item label, {{id}} its id property.
UNWIND $rows AS row
MATCH (n:{{label}})
WHERE n.{{id}} = row.id
WITH n, row, [x IN split(row.s, ',') | toFloat(x)] AS v
SET n[$key] = v, n[$mips_key] = v + [row.e]
