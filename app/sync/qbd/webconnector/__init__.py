"""The QuickBooks Web Connector endpoint: SOAP service, tickets, HTTP server and rendezvous.

Engine side: rendezvous.Rendezvous / rendezvous_for(profile). CLI and window:
server.serve / server.start_server / server.service_for. The .qwc file: app.sync.qbd.qwc.
"""
