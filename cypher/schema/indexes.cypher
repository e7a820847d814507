// Indexes the later stages need. Idempotent (IF NOT EXISTS).
// Entity kinds (genre, tag, occupation…) are filtered on by recommend/diverse queries.
CREATE INDEX entity_kind IF NOT EXISTS FOR (n:Entity) ON (n.kind)
;
CREATE INDEX entity_name IF NOT EXISTS FOR (n:Entity) ON (n.name)
;
// The active model run is looked up by every recommend query.
CREATE INDEX modelrun_active IF NOT EXISTS FOR (n:ModelRun) ON (n.active)
;
// Precomputed recommendations are read per run.
CREATE INDEX recommended_run IF NOT EXISTS FOR ()-[r:RECOMMENDED]-() ON (r.run)
;
// Full-text search over item titles and text, for cold start and for people in Browser.
CREATE FULLTEXT INDEX item_text IF NOT EXISTS FOR (n:Item) ON EACH [n.title, n.text]
