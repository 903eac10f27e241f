"""The database and what lives in it: engine, tables, migrations, named locks, the
SQLite writer gate, encryption at rest. Imports nothing of cxbot but `cxbot.base` and `cxbot.config`.
"""
