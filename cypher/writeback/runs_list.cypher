// All model runs, newest first.
MATCH (r:ModelRun)
RETURN r {.*, created: toString(r.created), activated_at: toString(r.activated_at),
          age_s: duration.inSeconds(r.created, datetime()).seconds} AS run
ORDER BY r.created DESC
