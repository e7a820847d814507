// THE atomic switch: make run $run the active one, in one transaction that touches (:ModelRun) nodes
// only, so its cost does not depend on the size of the graph. Readers pick the run with the greatest
// `activated` number, a single property of a single node, and reach that run's vectors as n[run.prop]
// and its vector indexes as run.item_index / run.mips_index, all written and brought online while the
// run was staging: a reader sees the old run or the new one, never a mix.
// Statement 1 write-locks every ModelRun (serialising concurrent activations), sets the flags and moves
// the statuses: the run becomes 'active', the one that was active becomes 'retired'.
MATCH (o:ModelRun)
SET o.active = (o.id = $run),
    o.status = CASE WHEN o.id = $run THEN 'active' WHEN o.status = 'active' THEN 'retired' ELSE o.status END
;
MATCH (o:ModelRun)
WITH max(o.activated) AS top
MATCH (r:ModelRun {id: $run})
SET r.activated = coalesce(top, 0) + 1, r.activated_at = datetime()
RETURN r.id AS run, r.activated AS activated
