// For each new item ($ids), the items with a vector of the run ($prop) that share KG entities with it
// (genres, artists, tags as nodes: any {{entity}} node, over any relationship type), most shared first,
// at most $limit. {{item}} is the mapped item label, {{item_id}} its id property, {{entity}} the mapped
// entity labels.
UNWIND $ids AS id
MATCH (x:{{item}})
WHERE x.{{item_id}} = id
MATCH (x)--(e:{{entity}})--(j:{{item}})
WHERE j <> x AND j[$prop] IS NOT NULL
WITH id, j, count(DISTINCT e) AS shared
ORDER BY id, shared DESC
RETURN id, collect({id: j.{{item_id}}, w: toFloat(shared)})[..$limit] AS near
