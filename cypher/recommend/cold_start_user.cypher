// TEMPLATE, not runnable as it is: graphrec fills the {{...}} placeholders from your graph mapping.
// Print the runnable query for your graph: graphrec query cold_start_user --cypher (with its :param lines)
// cold_start_user: recommendations for someone with no history, from a few liked items or from text.
//
// Liked items ($items): the mean of their ACTIVE-run embeddings is looked up in the run's item
// index (items without a run embedding contribute their text_embedding mean to the text route).
// Free text: the caller encodes it with the same sentence-transformers model that made the items'
// `text_embedding` (`graphrec cold-start --text` does) and passes it as $vector; it is looked up in
// the text vector index $text_index. The liked items themselves are never returned.
// {{item}} is the mapped item label, {{item_id}} its id property, $title_key its title property.
//
// Parameters (Neo4j Browser):
//   (ids are strings, as graphrec stores them: :param user => '287'; a number, 287, matches no node)
//   :param items => ['50', '181']
//   :param vector => null
//   :param text_index => 'item_text_embedding'
//   :param k => 10
//   :param title_key => 'title'
OPTIONAL MATCH (run:ModelRun) WHERE run.activated IS NOT NULL
WITH run ORDER BY run.activated DESC LIMIT 1
OPTIONAL MATCH (liked:{{item}}) WHERE liked.{{item_id}} IN coalesce($items, [])
WITH run, collect(liked) AS liked
WITH run, liked,
     CASE WHEN run IS NULL THEN [] ELSE [x IN liked WHERE x[run.prop] IS NOT NULL | x[run.prop]] END AS vs,
     [x IN liked WHERE x.text_embedding IS NOT NULL | x.text_embedding] AS ts
WITH run, liked,
     CASE WHEN size(vs) = 0 THEN null
          ELSE [d IN range(0, size(vs[0]) - 1) | reduce(s = 0.0, v IN vs | s + v[d]) / size(vs)] END AS mean,
     CASE WHEN $vector IS NOT NULL THEN $vector
          WHEN size(ts) = 0 THEN null
          ELSE [d IN range(0, size(ts[0]) - 1) | reduce(s = 0.0, v IN ts | s + v[d]) / size(ts)] END AS tvec
CALL (run, liked, mean, tvec) {
  WITH run, liked, mean WHERE any(z IN mean WHERE z <> 0.0)
  CALL db.index.vector.queryNodes(run.item_index, $k + size(liked), mean) YIELD node, score
  WITH liked, node, score WHERE NOT node IN liked
  RETURN node, score, 'items' AS source
  UNION
  WITH liked, mean, tvec WHERE NOT any(z IN coalesce(mean, []) WHERE z <> 0.0)
    AND any(z IN tvec WHERE z <> 0.0) AND $text_index IS NOT NULL
  CALL db.index.vector.queryNodes($text_index, $k + size(liked), tvec) YIELD node, score
  WITH liked, node, score WHERE NOT node IN liked
  RETURN node, score, 'text' AS source
}
RETURN node.{{item_id}} AS item, node[$title_key] AS title, score, source, run.id AS run
ORDER BY score DESC
LIMIT $k
