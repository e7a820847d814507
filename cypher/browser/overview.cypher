// Browser guide, slide "The graph": node counts per label and relationship counts per type, read from
// the count store (cheap on any size of graph). Needs APOC (shipped with the local server and compose).
CALL apoc.meta.stats() YIELD labels, relTypesCount
RETURN labels AS nodes_per_label, relTypesCount AS relationships_per_type
