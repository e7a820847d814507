// The vector index on Item.embedding (the active run's vectors, for Browser and any Bolt client).
// Parameters: $dim.
CREATE VECTOR INDEX item_embedding IF NOT EXISTS FOR (n:Item) ON (n.embedding)
OPTIONS {indexConfig: {`vector.dimensions`: $dim, `vector.similarity_function`: 'cosine',
                       `vector.quantization.enabled`: false}}
