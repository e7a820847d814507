// Receive a batch of vector rows and write nothing: the Bolt ceiling that write-back rates are
// compared with (benchmarks.serve_bench). Rows: {id, s} (vectors as strings, as written) or
// {id, v} (vectors as float lists, the naive encoding).
UNWIND $rows AS row
RETURN count(row) AS n
