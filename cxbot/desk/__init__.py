"""The helpdesk's own records: counter accounts, channel links, admins, the audit log,
stored media, one-time secret forms. Imports `cxbot.context` and below.
"""
