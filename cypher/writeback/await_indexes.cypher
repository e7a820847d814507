// Wait until every index is ONLINE (vector indexes populate asynchronously). Parameters: $seconds.
CALL db.awaitIndexes($seconds)
