"""The ``graphrec`` command line: a click group, one module per command group."""
