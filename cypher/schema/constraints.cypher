// Uniqueness on `id` for every label graphrec MERGEs on. Idempotent (IF NOT EXISTS).
// Run by `graphrec init`; statements are separated by lines holding only ';'.
CREATE CONSTRAINT user_id IF NOT EXISTS FOR (n:User) REQUIRE n.id IS UNIQUE
;
CREATE CONSTRAINT item_id IF NOT EXISTS FOR (n:Item) REQUIRE n.id IS UNIQUE
;
CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE
;
CREATE CONSTRAINT modelrun_id IF NOT EXISTS FOR (n:ModelRun) REQUIRE n.id IS UNIQUE
;
CREATE CONSTRAINT dataset_name IF NOT EXISTS FOR (n:Dataset) REQUIRE n.name IS UNIQUE
;
CREATE CONSTRAINT graphrec_lock_name IF NOT EXISTS FOR (n:GraphrecLock) REQUIRE n.name IS UNIQUE
