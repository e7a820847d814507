// Whether any relationship of a behaviour type is stored as valid/test (stops at the first one).
RETURN EXISTS {
  MATCH (:{{src}})-[r:{{type}}]->(:{{dst}})
  WHERE r.split IN ['valid', 'test']
} AS held_out
