// Who holds the lease $name now (no row: nobody). Parameters: $name.
MATCH (l:GraphrecLock {name: $name})
RETURN l.owner AS owner, toString(l.started) AS started, toString(l.expires) AS expires,
       l.expires < datetime() AS expired
