"""The demo plant: a simulated factory served over OPC UA."""
