// A cosine vector index on the label's text embeddings (idempotent).
CREATE VECTOR INDEX $name IF NOT EXISTS
FOR (n:{{label}}) ON n.text_embedding
OPTIONS {indexConfig: {`vector.dimensions`: $dimensions, `vector.similarity_function`: 'cosine'}}
