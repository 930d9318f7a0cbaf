"""API gateway: inbound filters, routing to in-process services, outbound filters."""
