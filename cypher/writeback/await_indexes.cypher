// Wait until every index is online (after creating id indexes). Parameters: $seconds.
CALL db.awaitIndexes($seconds)
