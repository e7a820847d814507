// A range index on a mapped label's id property (graphrec's own labels have uniqueness constraints
// from `graphrec init`): write-back and every recommend query look nodes up by id. A no-op when any
// index on the same label and property exists. {{label}} and {{id}} are schema-checked names.
// Parameters: $name.
CREATE INDEX $name IF NOT EXISTS FOR (n:{{label}}) ON (n.{{id}})
