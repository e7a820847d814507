// Drop a projected graph (no error when it is already gone).
CALL gds.graph.drop($name, false)
YIELD graphName
RETURN graphName
