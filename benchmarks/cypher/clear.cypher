// Empty the database between loader-benchmark graphs: relationships first, then nodes, in batches
// (DETACH DELETE of a batch of dense nodes can exceed the transaction memory pool). Implicit transactions.
MATCH ()-[r]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS
;
MATCH (n)
CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS
