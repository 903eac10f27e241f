"""The long-running parts (top layer): the worker, the scheduler, and starting them with
the web server in one process. Imports anything below.
"""
