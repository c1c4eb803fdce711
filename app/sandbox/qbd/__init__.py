"""A QuickBooks Desktop company that answers qbXML, and a Web Connector that drives our endpoint."""

from app.sandbox.qbd.company import QbdCompany
from app.sandbox.qbd.status import QbError, RequestProcessorError

__all__ = ["QbError", "QbdCompany", "RequestProcessorError"]
