"""Reports: read-only queries that turn what members and brokers already do into evidence."""
