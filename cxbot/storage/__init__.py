"""The database and what lives in it: engine, tables, migrations, named locks, the
SQLite writer gate, encryption at rest. The bottom layer: imports nothing of cxbot.
"""
