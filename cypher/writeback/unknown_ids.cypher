// How many of $ids name no {{label}} node (and a few of them): publish checks an artefact's ids against the
// graph before writing anything. One index lookup per id. {{label}} is the node label, {{id}} its id property.
UNWIND $ids AS id
WITH id
WHERE NOT EXISTS { MATCH (n:{{label}}) WHERE n.{{id}} = id }
RETURN count(id) AS n, collect(id)[..3] AS some
