"""The LINE WORKS API 2.0 (platform client layer: imports only cxbot.base and cxbot.storage).

    auth.py      the service-account (JWT) and refresh grants
    tokens.py    access tokens shared by every process through the database
    client.py    the API client (the only place that builds LINE WORKS URLs)
    events.py    callback bodies as typed events
    limits.py    what a bot message may hold, as documented, and MessageLimitError
    checks.py    validate_content: a message checked against those limits
    messages.py  the message builders (`from cxbot.works import messages as m`)
    files.py     what LINE WORKS takes as a file: blocked extensions, a bot's photoUrl
"""
