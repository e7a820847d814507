// FastRP node embeddings into the projected graph's property $property (not written to the database).
CALL gds.fastRP.mutate($name, {
  embeddingDimension: $dimensions,
  randomSeed: $seed,
  iterationWeights: $iteration_weights,
  normalizationStrength: $normalization_strength,
  concurrency: $concurrency,
  mutateProperty: $property
})
YIELD nodePropertiesWritten, computeMillis
RETURN nodePropertiesWritten, computeMillis
