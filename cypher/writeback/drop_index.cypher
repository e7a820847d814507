// Drop an index by name (per-run vector indexes on prune). Parameters: $name.
DROP INDEX $name IF EXISTS
