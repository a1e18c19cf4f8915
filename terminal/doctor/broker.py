"""The broker: TLS, the gate's login, and its ACL, checked without disturbing a running gate.

A gate logs in as ``park/id``, and the park's broker takes the username as the client id
(``use_username_as_clientid`` in config/mosquitto/mosquitto.conf): a second login with the
gate's username takes the gate's connection and its session, whatever client id it asks for. So:

- while the gate's service runs, only the TLS handshake is tried, no login;
- otherwise doctor logs in with a client id of its own and the gate's username, and resumes the
  session rather than clearing it (``clean_start`` off, its expiry left at "never"): where the
  broker made it the gate's session, the commands queued for the gate stay queued (none is
  acknowledged here) and the session is left as it was; where it is doctor's own new session, it
  is ended on leaving;
- no status and no last will: nothing that would show a stopped gate online;
- the ACL is asked with MQTT 5, whose PUBACK says "not authorised" where 3.1.1 silently drops a
  refused publish: one publish on a topic of the gate's own (``event/doctor``: no message of the
  contract, which the centre's collector drops with one warning line) must be taken, and one on
  another gate's must be refused.
"""

from __future__ import annotations

import secrets
import socket
import ssl
import threading
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from terminal.config import Config, MqttConfig
from terminal.doctor import Row, failed, passed
from terminal.doctor.text import say
from terminal.link.contract import GateTopics
from terminal.link.mqtt_intake import log_in
from terminal.link.transport import classify

ANSWER_TIMEOUT_S = 10.0
SESSION_NEVER_EXPIRES = 0xFFFFFFFF
PROBE_PAYLOAD = b"gate-terminal doctor: an ACL check; nothing to act on"


def broker_row(config: Config, gate_running: bool) -> Row:
    if gate_running:
        return _reach_only(config)
    return _Probe(config).run()


def _where(config: Config) -> dict[str, object]:
    user = config.mqtt.credentials()[0] or "(anonymous)"
    tls = say("broker.tls") if config.mqtt.tls else ""
    return {"host": config.mqtt.host, "port": config.mqtt.port, "user": user, "tls": tls}


def _unreachable(config: Config, exc: BaseException | None) -> Row:
    kind, detail = classify(exc)  # unknown_host, tls_failure, refused or unreachable
    said = say("broker.connect", host=config.mqtt.host, port=config.mqtt.port, detail=detail)
    return failed("broker", said, say(f"broker.fix.{kind}"))


def _tls_context(mqtt_config: MqttConfig) -> ssl.SSLContext:
    ca = str(mqtt_config.ca_file) if mqtt_config.ca_file else None
    context = ssl.create_default_context(cafile=ca)
    if mqtt_config.cert_file is not None:
        context.load_cert_chain(str(mqtt_config.cert_file), str(mqtt_config.key_file))
    return context


def _reach_only(config: Config) -> Row:
    """The broker reached (and its certificate checked) without logging in."""
    mqtt_config = config.mqtt
    try:
        with socket.create_connection(
            (mqtt_config.host, mqtt_config.port), timeout=ANSWER_TIMEOUT_S
        ) as sock:
            if mqtt_config.tls:
                context = _tls_context(mqtt_config)
                with context.wrap_socket(sock, server_hostname=mqtt_config.host):
                    pass
    except (OSError, ssl.SSLError) as exc:
        return _unreachable(config, exc)
    return passed("broker", say("broker.running", **_where(config)))


@dataclass
class _Answers:
    connected: threading.Event = field(default_factory=threading.Event)
    connack: ReasonCode | None = None
    session_present: bool = False
    published: dict[int, ReasonCode] = field(default_factory=dict)
    publish_done: threading.Condition = field(default_factory=threading.Condition)


class _Probe:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.where = _where(config)
        topics = GateTopics(config.gate.park, config.gate.id)
        other = GateTopics(config.gate.park, f"{config.gate.id}-doctor-probe")
        self.own_topic = f"{topics.base}/event/doctor"
        self.other_topic = f"{other.base}/event/doctor"
        self.answers = _Answers()
        # never the gate's own client id; the broker may take the username instead (see above)
        client_id = f"{config.gate.broker_username}-doctor-{secrets.token_hex(4)}"
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,  # a command queued for the gate is never acknowledged here
        )
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.answers.connack = reason_code
        self.answers.session_present = bool(flags.session_present)
        self.answers.connected.set()

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        with self.answers.publish_done:
            self.answers.published[mid] = reason_code
            self.answers.publish_done.notify_all()

    def run(self) -> Row:
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = SESSION_NEVER_EXPIRES
        try:
            log_in(self.client, self.config.mqtt)  # a CA or key file TLS cannot load fails here
            self.client.connect(
                self.config.mqtt.host,
                self.config.mqtt.port,
                keepalive=self.config.mqtt.keepalive_s,
                clean_start=False,
                properties=properties,
            )
        except (OSError, ssl.SSLError, ValueError) as exc:
            return _unreachable(self.config, exc)
        self.client.loop_start()
        try:
            return self._logged_in()
        finally:
            self._leave()

    def _silent(self, what: str) -> Row:
        said = say("broker.silent", seconds=f"{ANSWER_TIMEOUT_S:.0f}", what=what, **self.where)
        return failed("broker", said, say("broker.fix.unreachable"))

    def _logged_in(self) -> Row:
        if not self.answers.connected.wait(ANSWER_TIMEOUT_S):
            return self._silent("CONNACK")
        connack = self.answers.connack
        assert connack is not None
        if connack.is_failure:
            reason = str(connack)
            if connack.value == 0x84:  # unsupported protocol version
                said = say("broker.no_v5", reason=reason, **self.where)
                return failed("broker", said, say("broker.no_v5_fix"))
            said = say("broker.login", reason=reason, **self.where)
            return failed("broker", said, say("broker.login_fix", **self.where))
        own = self._publish(self.own_topic)
        if own is None:
            return self._silent(f"PUBACK on {self.own_topic}")
        if own.is_failure:
            said = say("broker.own_refused", topic=self.own_topic, reason=str(own))
            return failed("broker", said, say("broker.own_fix", **self.where))
        other = self._publish(self.other_topic)
        if other is None:
            return self._silent(f"PUBACK on {self.other_topic}")
        if not other.is_failure:
            said = say("broker.other_taken", topic=self.other_topic)
            return failed("broker", said, say("broker.other_fix"))
        return passed("broker", say("broker.ok", **self.where))

    def _publish(self, topic: str) -> ReasonCode | None:
        """The broker's reason code for one QoS 1 publish (None: no answer)."""
        info = self.client.publish(topic, PROBE_PAYLOAD, qos=1)
        with self.answers.publish_done:
            self.answers.publish_done.wait_for(
                lambda: info.mid in self.answers.published, ANSWER_TIMEOUT_S
            )
            return self.answers.published.get(info.mid)

    def _leave(self) -> None:
        """A session doctor made itself is ended; one it found (the gate's) is left as it was."""
        properties = None
        if self.answers.connack is not None and not self.answers.session_present:
            properties = Properties(PacketTypes.DISCONNECT)
            properties.SessionExpiryInterval = 0
        self.client.disconnect(properties=properties)
        self.client.loop_stop()
