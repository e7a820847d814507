// TEMPLATE, not runnable as it is: graphrec fills the {{...}} placeholders from your graph mapping.
// Print the runnable query for your graph: graphrec query diverse --cypher (with its :param lines)
// diverse: the active run's recommendations re-ranked for diversity with per-entity caps.
//
// Takes the user's precomputed top-$n (publish with k >= $n), walks them best first and keeps an
// item only while none of its genres/tags/entities (of the kinds in $kinds; null = all kinds) has
// been picked $cap times already; if fewer than $k survive, the best skipped ones fill up.
// Cost: the user's RECOMMENDED relationships plus each candidate's outgoing relationships (its entity
// links); with $entity_links_out false (a [graph] mapping, whose entity links may point into the
// items) each candidate's incoming relationships too, users' behaviours included.
// {{user}}/{{item}}/{{entity}} are the mapped labels, {{user_id}}/{{item_id}} the id properties,
// $entity_keys the entities' id properties, $title_key the item's title property.
//
// Parameters (Neo4j Browser):
//   (ids are strings, as graphrec stores them: :param user => '287'; a number, 287, matches no node)
//   :param user => '1'
//   :param k => 10
//   :param n => 50
//   :param cap => 2
//   :param kinds => null
//   :param entity_keys => ['id']
//   :param title_key => 'title'
//   :param entity_links_out => true
MATCH (run:ModelRun) WHERE run.activated IS NOT NULL
WITH run ORDER BY run.activated DESC LIMIT 1
MATCH (u:{{user}})-[r:RECOMMENDED]->(i:{{item}})
USING INDEX u:{{user}}({{user_id}})
WHERE u.{{user_id}} = $user AND r.run = run.id AND r.rank <= $n
WITH run, i, r ORDER BY r.rank
// entity links out of the item; those into it only when $entity_links_out is false (a popular
// item's incoming relationships are mostly users' behaviours: walking them all is the cost)
WITH run, i, r, [(i)-->(e:{{entity}}) WHERE $kinds IS NULL OR e.kind IN $kinds
                   | head([key IN $entity_keys WHERE e[key] IS NOT NULL | e[key]])]
                + COLLECT { WITH i WHERE NOT $entity_links_out
                            MATCH (i)<--(e:{{entity}}) WHERE $kinds IS NULL OR e.kind IN $kinds
                            RETURN head([key IN $entity_keys WHERE e[key] IS NOT NULL | e[key]]) } AS ents
WITH run, collect({item: i, score: r.score, rank: r.rank, ents: ents}) AS cands
WITH run, cands,
     reduce(acc = {picked: [], used: []}, c IN cands |
       CASE WHEN size(acc.picked) < $k AND all(e IN c.ents WHERE size([x IN acc.used WHERE x = e]) < $cap)
            THEN {picked: acc.picked + [c], used: acc.used + c.ents}
            ELSE acc END) AS acc
WITH run, acc.picked + [c IN cands WHERE NOT c IN acc.picked][..($k - size(acc.picked))] AS picks
UNWIND range(0, size(picks) - 1) AS pos
WITH run, pos, picks[pos] AS c
RETURN c.item.{{item_id}} AS item, c.item[$title_key] AS title, c.score AS score, c.rank AS rank, pos + 1 AS position,
       c.ents AS entities, run.id AS run
ORDER BY position
