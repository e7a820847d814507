// The vector index on <item label>.embedding (the active run's vectors, for Browser and any Bolt
// client). {{label}} is the item label. Parameters: $dim.
CREATE VECTOR INDEX item_embedding IF NOT EXISTS FOR (n:{{label}}) ON (n.embedding)
OPTIONS {indexConfig: {`vector.dimensions`: $dim, `vector.similarity_function`: 'cosine',
                       `vector.quantization.enabled`: false}}
