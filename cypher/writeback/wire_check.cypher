// Receive a batch of vector rows and write nothing: the Bolt + PackStream ceiling that write-back
// rates are compared with (graphrec.bench.serve_bench). Rows: {id, v}.
UNWIND $rows AS row
RETURN count(row) AS n
