// Wait until one index is ONLINE (vector indexes populate asynchronously). Parameters: $name, $seconds.
CALL db.awaitIndex($name, $seconds)
