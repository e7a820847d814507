// Node and relationship counts from the count store in one call (no graph scan): the loaders'
// graph-spec discovery reads (startLabel)-[type]->() and ()-[type]->(endLabel) counts from it.
CALL db.stats.retrieve('GRAPH COUNTS') YIELD data
RETURN data.nodes AS nodes, data.relationships AS relationships
