"""Tool adapters, one sub-package per kind of plant system (OPC UA, historian, documents, maintenance)."""
