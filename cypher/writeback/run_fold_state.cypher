// Record on a run being published what `graphrec refresh` needs to fold in users and items later:
// $fold (how a user's vector is solved: 'sum' of the items' $fold_prop rows for item–item models,
// 'als' for ALS's own user solve, 'ridge' otherwise), $fold_prop (per-run item property of the query
// factors, or null), $seen_prop (per-run user property: how many distinct items the run learnt the
// user from) and $interactions (the relationship types that were the positives).
MATCH (r:ModelRun {id: $run})
SET r.fold = $fold, r.fold_prop = $fold_prop, r.seen_prop = $seen_prop, r.interactions = $interactions
RETURN r.id AS run
