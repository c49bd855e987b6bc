"""OPC UA servers the tests start: plants with address spaces the assistant has never seen."""
