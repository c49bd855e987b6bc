"""Access control for the operator UI: password hashing and the ``iiot-assistant users`` commands."""
