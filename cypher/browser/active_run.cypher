// Browser guide, slide "Model runs": the active run (the greatest `activated`) and where its output lives:
// every node's vector under the property named by `vector_property` (n[run.prop]), the item vector
// index `item_index` (cosine) and the MIPS index `mips_index` (max inner product, see
// recommend_realtime). Activation changes only `activated`, so this is what every reader resolves first.
MATCH (run:ModelRun)
WHERE run.activated IS NOT NULL
WITH run ORDER BY run.activated DESC LIMIT 1
RETURN run.id AS run, run.model AS model, run.activated AS activated, run.prop AS vector_property,
       run.item_index AS item_index, run.mips_index AS mips_index
