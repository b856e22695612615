class EmailRequestError(ValueError):
    """send_email() was called with something it cannot send; the message says what."""


class UnknownKind(EmailRequestError):
    pass


class InvalidRecipient(EmailRequestError):
    pass


class InvalidContext(EmailRequestError):
    pass


class InvalidLocale(EmailRequestError):
    pass
