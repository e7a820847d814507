// Take the lease $name over from the holder whose token is $old (a process known to be dead), only if
// that holder still has it. Parameters: $name, $old, $token, $owner, $host, $pid, $ttl.
MATCH (l:GraphrecLock {name: $name, token: $old})
SET l.token = $token, l.owner = $owner, l.host = $host, l.pid = $pid, l.started = datetime(),
    l.expires = datetime() + duration({seconds: $ttl})
RETURN toString(l.expires) AS expires
