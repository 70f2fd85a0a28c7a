"""One ComponentResource per architectural part, shared by every blueprint."""
