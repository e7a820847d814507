// One model run by id. Parameters: $run.
MATCH (r:ModelRun {id: $run})
RETURN r {.*, created: toString(r.created), activated_at: toString(r.activated_at),
          age_s: duration.inSeconds(r.created, datetime()).seconds} AS run
