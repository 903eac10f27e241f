"""The LINE Messaging API: the client (the only place that builds LINE URLs),
message builders with LINE's limits, and webhook parsing. A platform client at the
bottom: imports only `cxbot.base`.

    from cxbot.line.client import LineClient, LineApiError
    from cxbot.line import messages as lm
    from cxbot.line.webhook import parse_webhook, is_verification
"""
