"""QuickBooks Desktop: qbXML requests and replies; the Web Connector and COM transports."""
