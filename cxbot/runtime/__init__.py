"""The long-running parts: the worker, the scheduler, and starting them with the web
server in one process. Imports `cxbot.web` and everything below; only cli, demo and bench import it.
"""
