// Drop an index by name (a vector index whose dimensions no longer fit the model).
DROP INDEX $name IF EXISTS
