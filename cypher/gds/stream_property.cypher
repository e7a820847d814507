// One label's embeddings from the projected graph, as [business id ($id_key), vector] pairs.
CALL gds.graph.nodeProperty.stream($name, $property, [$label])
YIELD nodeId, propertyValue
RETURN collect([gds.util.asNode(nodeId)[$id_key], propertyValue]) AS rows
