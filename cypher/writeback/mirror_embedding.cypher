// Copy the active run's vectors (property $key) to the canonical `embedding` property of every
// {{label}} node, in the same transaction as the switch; nodes the run has no vector for lose theirs.
MATCH (n:{{label}})
SET n.embedding = n[$key]
