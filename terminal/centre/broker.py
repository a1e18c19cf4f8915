"""The centre's MQTT clients (the collector's, the sender's): MQTT v5, with the broker login, TLS
and reconnection the centre's config gives."""

from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from terminal.config import BrokerLogin
from terminal.link.mqtt_intake import BoundedClient, SizeWall


def centre_client(
    config: BrokerLogin,
    client_id: str,
    *,
    manual_ack: bool = False,
    size_wall: SizeWall | None = None,
) -> mqtt.Client:
    client = BoundedClient(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        manual_ack=manual_ack,
        # what comes in over the contract's largest message is dropped as it is read
        size_wall=size_wall,
    )
    if config.tls:
        client.tls_set(
            ca_certs=str(config.ca_file) if config.ca_file else None,
            certfile=str(config.cert_file) if config.cert_file else None,
            keyfile=str(config.key_file) if config.key_file else None,
        )
    username, password = config.credentials()
    if username:
        client.username_pw_set(username, password)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    return client
