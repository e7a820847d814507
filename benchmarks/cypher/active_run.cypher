// The active run's vector property and index names (benchmarks.serve_bench's peer queries).
MATCH (run:ModelRun) WHERE run.activated IS NOT NULL
RETURN run.id AS id, run.prop AS prop, run.item_index AS item_index, run.mips_index AS mips_index
ORDER BY run.activated DESC
LIMIT 1
