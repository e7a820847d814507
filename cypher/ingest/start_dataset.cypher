// Record that a load of dataset $name has begun, before its first write: status 'loading' until
// record_dataset sets 'done'. A killed load leaves it 'loading', which refuses any other dataset.
// Parameters: $name.
MERGE (d:Dataset {name: $name})
  ON CREATE SET d.created_at = datetime()
SET d.status = 'loading', d.started_at = datetime()
RETURN d.name AS name
