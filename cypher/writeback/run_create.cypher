// Create the (:ModelRun) node of a run being published, in status 'staging' (never read by recommend
// queries until activated). Parameters: $run (id), $key (run key used in property/index names), $model,
// $params and $metrics (JSON strings), $dim, $k, $labels (labels whose nodes get embeddings),
// $prop, $mips_prop (per-run property names), $item_index, $mips_index (per-run vector
// index names), $mips_norm (the norm M of the MIPS-augmented item vectors).
CREATE (r:ModelRun {id: $run, key: $key, model: $model, params: $params, metrics: $metrics,
                    created: datetime(), active: false, status: 'staging', dim: $dim, k: $k,
                    labels: $labels, prop: $prop, mips_prop: $mips_prop, item_index: $item_index, mips_index: $mips_index,
                    mips_norm: $mips_norm, train_pairs: $train_pairs})
RETURN r.id AS run
