class InvalidInput(Exception):
    """A request the hub understood but cannot accept; answered 422 naming each field."""

    def __init__(self, message: str, errors: dict[str, str]):
        super().__init__(message)
        self.message = message
        self.errors = errors
