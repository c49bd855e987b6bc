"""OPC UA adapter: sessions, the browsed catalog of assets and signals, reads."""
