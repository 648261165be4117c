"""OAIError and one subclass per error code of OAI-PMH §3.6. The code is written out on each class."""
from __future__ import annotations


class OAIError(Exception):
    """Base of every protocol error; `errors` lists what one response reports (§3.6 allows several)."""

    code = ""

    def __init__(self, message: str = ""):
        self.message = message or " ".join((self.__doc__ or "").split())
        super().__init__(self.message)

    @property
    def errors(self) -> list["OAIError"]:
        return [self]


class OAIErrors(OAIError):
    """Several errors found in one request, reported together."""

    def __init__(self, errors: list[OAIError]):
        self._errors = errors
        super().__init__("; ".join(e.message for e in errors))

    @property
    def errors(self) -> list[OAIError]:
        return self._errors

    @property
    def code(self) -> str:  # the request echo rule (§3.2) depends on the codes present
        return self._errors[0].code


class BadArgument(OAIError):
    """The request includes illegal arguments, is missing required arguments, includes a repeated argument,
    or values for arguments have an illegal syntax."""

    code = "badArgument"


class BadResumptionToken(OAIError):
    """The value of the resumptionToken argument is invalid or expired."""

    code = "badResumptionToken"


class BadVerb(OAIError):
    """Value of the verb argument is not a legal OAI-PMH verb, the verb argument is missing, or the verb
    argument is repeated."""

    code = "badVerb"


class CannotDisseminateFormat(OAIError):
    """The metadata format identified by the value given for the metadataPrefix argument is not supported by
    the item or by the repository."""

    code = "cannotDisseminateFormat"


class IdDoesNotExist(OAIError):
    """The value of the identifier argument is unknown or illegal in this repository."""

    code = "idDoesNotExist"


class NoRecordsMatch(OAIError):
    """The combination of the values of the from, until, set and metadataPrefix arguments results in an
    empty list."""

    code = "noRecordsMatch"


class NoMetadataFormats(OAIError):
    """There are no metadata formats available for the specified item."""

    code = "noMetadataFormats"


class NoSetHierarchy(OAIError):
    """The repository does not support sets."""

    code = "noSetHierarchy"
