// Vector indexes on a label's property, with their dimensions (to detect a model change).
SHOW VECTOR INDEXES YIELD name, labelsOrTypes, properties, options, state
WHERE labelsOrTypes = [$label] AND properties = [$property]
RETURN name, options.indexConfig.`vector.dimensions` AS dimensions,
       options.indexConfig.`vector.similarity_function` AS similarity, state
