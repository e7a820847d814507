// TEMPLATE, not runnable as it is: graphrec fills the {{...}} placeholders from your graph mapping.
// Print the runnable query for your graph: graphrec query similar_items --cypher (with its :param lines)
// similar_items: items most similar to one item (cosine on the ACTIVE run's item embeddings).
//
// Items the run has no (or a zero) embedding for (e.g. added after training, no interactions) fall back to
// their `text_embedding` and the text vector index named by $text_index; `source` says which.
// {{item}} is the mapped item label, {{item_id}} its id property, $title_key its title property.
//
// Parameters (Neo4j Browser):
//   (ids are strings, as graphrec stores them: :param user => '287'; a number, 287, matches no node)
//   :param item => '50'
//   :param k => 10
//   :param text_index => 'item_text_embedding'
//   :param title_key => 'title'
OPTIONAL MATCH (run:ModelRun) WHERE run.activated IS NOT NULL
WITH run ORDER BY run.activated DESC LIMIT 1
MATCH (x:{{item}})
WHERE x.{{item_id}} = $item
WITH run, x, CASE WHEN run IS NULL THEN null ELSE x[run.prop] END AS v
WITH run, x, CASE WHEN any(z IN v WHERE z <> 0.0) THEN v END AS v
CALL (run, x, v) {
  WITH run, x, v WHERE v IS NOT NULL
  CALL db.index.vector.queryNodes(run.item_index, $k + 1, v) YIELD node, score
  WITH x, node, score WHERE node <> x
  RETURN node, score, 'embedding' AS source
  UNION
  WITH x, v WHERE v IS NULL AND any(z IN x.text_embedding WHERE z <> 0.0) AND $text_index IS NOT NULL
  CALL db.index.vector.queryNodes($text_index, $k + 1, x.text_embedding) YIELD node, score
  WITH x, node, score WHERE node <> x
  RETURN node, score, 'text' AS source
}
RETURN node.{{item_id}} AS item, node[$title_key] AS title, score, source, run.id AS run
ORDER BY score DESC
LIMIT $k
