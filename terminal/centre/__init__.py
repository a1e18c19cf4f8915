"""The park's operations centre: the collector (MQTT -> database), the security desk and the
board. It speaks to the gates only through the MQTT contract (terminal/link/contract.py) and never
imports the gate's own modules, so it runs on a server without a camera or GPIO."""
