"""The platform clients (LINE WORKS, LINE, SMTP) against the sandbox over real HTTP and SMTP."""
