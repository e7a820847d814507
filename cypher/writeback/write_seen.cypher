// Write, per user, how many distinct items a run learnt the user from, under the run-keyed property
// $key (`seen_<run key>`); `graphrec refresh` compares it with what the user has now.
// Rows: {id: user id, n}. {{label}} is the user label, {{id}} its id property.
UNWIND $rows AS row
MATCH (n:{{label}})
WHERE n.{{id}} = row.id
SET n[$key] = row.n
