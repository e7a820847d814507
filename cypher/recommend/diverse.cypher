// diverse: the active run's recommendations re-ranked for diversity with per-entity caps.
//
// Takes the user's precomputed top-$n (publish with k >= $n), walks them best first and keeps an
// item only while none of its genres/tags/entities (of the kinds in $kinds; null = all kinds) has
// been picked $cap times already; if fewer than $k survive, the best skipped ones fill up.
// Cost: the user's RECOMMENDED relationships plus each candidate's entity links.
//
// Parameters (Neo4j Browser):
//   :param user => '1'
//   :param k => 10
//   :param n => 50
//   :param cap => 2
//   :param kinds => null
MATCH (run:ModelRun) WHERE run.activated IS NOT NULL
WITH run ORDER BY run.activated DESC LIMIT 1
MATCH (u:User {id: $user})-[r:RECOMMENDED]->(i:Item)
USING INDEX u:User(id)
WHERE r.run = run.id AND r.rank <= $n
WITH run, i, r ORDER BY r.rank
WITH run, i, r, [(i)--(e:Entity) WHERE $kinds IS NULL OR e.kind IN $kinds | e.id] AS ents
WITH run, collect({item: i, score: r.score, rank: r.rank, ents: ents}) AS cands
WITH run, cands,
     reduce(acc = {picked: [], used: []}, c IN cands |
       CASE WHEN size(acc.picked) < $k AND all(e IN c.ents WHERE size([x IN acc.used WHERE x = e]) < $cap)
            THEN {picked: acc.picked + [c], used: acc.used + c.ents}
            ELSE acc END) AS acc
WITH run, acc.picked + [c IN cands WHERE NOT c IN acc.picked][..($k - size(acc.picked))] AS picks
UNWIND range(0, size(picks) - 1) AS pos
WITH run, pos, picks[pos] AS c
RETURN c.item.id AS item, c.item.title AS title, c.score AS score, c.rank AS rank, pos + 1 AS position,
       c.ents AS entities, run.id AS run
ORDER BY position
