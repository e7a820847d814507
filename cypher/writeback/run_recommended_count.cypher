// RECOMMENDED relationships of run $run (uses the index on RECOMMENDED.run). Parameters: $run.
MATCH ()-[r:RECOMMENDED {run: $run}]->()
RETURN count(r) AS n
