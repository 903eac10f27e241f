"""No sockets, no servers: the pure parts (parsers, builders, limits, texts, settings, layers). Seconds."""
