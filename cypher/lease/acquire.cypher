// Take the lease $name for $token unless another live holder has it; a lease past its expiry is taken
// over. The uniqueness constraint on GraphrecLock.name makes concurrent MERGEs meet on one node; the
// SET of `touched` write-locks that node before its holder is read, so two takers never both win.
// Parameters: $name, $token (random, this holder's), $owner (who: command, pid, host), $host, $pid, $ttl (s).
MERGE (l:GraphrecLock {name: $name})
  ON CREATE SET l.token = $token, l.owner = $owner, l.host = $host, l.pid = $pid, l.started = datetime(),
                l.expires = datetime() + duration({seconds: $ttl})
SET l.touched = datetime()
WITH l, l.token = $token AS created, l.expires < datetime() AS expired, l.owner AS previous
CALL (l, created, expired) {
  WITH l WHERE NOT created AND expired
  SET l.token = $token, l.owner = $owner, l.host = $host, l.pid = $pid, l.started = datetime(),
      l.expires = datetime() + duration({seconds: $ttl})
}
RETURN l.token = $token AS acquired, l.owner AS owner, toString(l.started) AS started,
       toString(l.expires) AS expires, l.token AS token, l.host AS host, l.pid AS pid,
       CASE WHEN expired AND NOT created THEN previous END AS taken_over_from
