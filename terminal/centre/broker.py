"""The centre's MQTT clients (the collector's, the sender's): MQTT v5, with the broker login, TLS
and reconnection the centre's config gives."""

from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from terminal.config import BrokerLogin
from terminal.link.mqtt_intake import BoundedClient, SizeWall, log_in


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
    log_in(client, config)
    return client
