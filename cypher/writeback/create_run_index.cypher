// Create a per-run cosine vector index, unquantised (quantisation distorts scores by several %), with a
// denser HNSW graph than the default (m 16, ef_construction 100), which the MIPS-augmented vectors need
// for recall. Parameters: $name, $dim, $m, $ef_construction. {{label}} is the node label. The property is the run's own
// (`embedding_<run key>` / `mips_<run key>`): a property in index DDL can be neither a parameter nor an
// allowlisted label, so it is written as the token __RUN_PROPERTY__, which graphrec.writeback.vectors
// replaces only with a name it generated and checked against ^[a-z][a-z0-9_]{0,99}$.
CREATE VECTOR INDEX $name IF NOT EXISTS FOR (n:{{label}}) ON (n.`__RUN_PROPERTY__`)
OPTIONS {indexConfig: {`vector.dimensions`: $dim, `vector.similarity_function`: 'cosine',
                       `vector.quantization.enabled`: false, `vector.hnsw.m`: $m,
                       `vector.hnsw.ef_construction`: $ef_construction}}
