"""The operations link: the MQTT contract, messages, publisher, commands, the zone link."""
