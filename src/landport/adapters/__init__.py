"""Everything that does I/O: database, files, brokers, devices."""
