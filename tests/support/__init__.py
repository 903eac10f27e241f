"""What the tests share: the wired world (cxbot served against the sandbox), the admin's chat,
the relay's counter accounts and customers. Waits come from cxbot.base.waiting, shared with the bench."""
