// The uniqueness the lease relies on (also in schema/constraints; repeated here so that a lease taken
// before `graphrec init` is still exclusive). Idempotent.
CREATE CONSTRAINT graphrec_lock_name IF NOT EXISTS FOR (n:GraphrecLock) REQUIRE n.name IS UNIQUE
