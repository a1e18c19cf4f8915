"""The outbox: the messages a check or an event must send, kept until the broker has them.

Every message gets the gate's next ``seq`` in the transaction that stores it (the last one is
kept in the meta table), so seq numbers never repeat or reset, across restarts too."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from terminal.record.schema import Table, read_meta, write_meta


@dataclass(frozen=True)
class OutboxMessage:
    """A message to send. Its payload is a JSON object; the record writes the gate's next
    ``seq`` into it in the transaction that stores it, so seq numbers never repeat or reset."""

    topic: str
    payload: str
    qos: int = 1
    retain: bool = False


@dataclass(frozen=True)
class OutboxRow:
    id: int
    topic: str
    payload: str
    qos: int
    retain: bool
    seq: int | None = None


TABLES = (
    Table(
        "outbox",
        {
            "id": int,
            "event_id": str,
            "seq": int,
            "topic": str,
            "payload": str,
            "qos": int,
            "retain": int,
            "created_s": float,
            "sent_s": float,
        },
        pk="id",
        not_null=frozenset({"topic", "payload", "qos", "retain", "created_s"}),
        indexes=(("sent_s",),),
    ),
)


class Outbox:
    """Reads and writes of the outbox; writes run inside the caller's transaction."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def insert(self, event_id: str, messages: Iterable[OutboxMessage], created_s: float) -> None:
        """Each message with the next seq of this gate."""
        rows = []
        seq = self.last_seq()
        for m in messages:
            seq += 1
            payload = json.loads(m.payload)
            payload["seq"] = seq
            rows.append(
                {
                    "event_id": event_id,
                    "seq": seq,
                    "topic": m.topic,
                    "payload": json.dumps(payload, separators=(",", ":"), sort_keys=True),
                    "qos": m.qos,
                    "retain": int(m.retain),
                    "created_s": created_s,
                    "sent_s": None,
                }
            )
        if rows:
            self.db.table("outbox").insert_all(rows)
            write_meta(self.db, "seq", str(seq))

    def last_seq(self) -> int:
        value = read_meta(self.db, "seq")
        return int(value) if value is not None else 0

    def unsent(self, limit: int, exclude: Iterable[int] = ()) -> list[OutboxRow]:
        skip = set(exclude)
        rows = self.db.query(
            "SELECT id, topic, payload, qos, retain, seq FROM outbox WHERE sent_s IS NULL "
            "ORDER BY id LIMIT :limit",
            {"limit": limit + len(skip)},
        )
        unsent = [
            OutboxRow(r["id"], r["topic"], r["payload"], r["qos"], bool(r["retain"]), r["seq"])
            for r in rows
            if r["id"] not in skip
        ]
        return unsent[:limit]

    def mark_sent(self, ids: list[int], at_s: float) -> None:
        self.db.execute(
            f"UPDATE outbox SET sent_s = ? WHERE id IN ({','.join('?' * len(ids))})",
            [at_s, *ids],
        )

    def count(self, *, sent: bool, topic_suffix: str | None = None) -> int:
        """Messages the broker has taken (``sent``) or not yet; only those whose topic ends
        with ``topic_suffix``, when given."""
        where = "sent_s IS NOT NULL" if sent else "sent_s IS NULL"
        params: list[str] = []
        if topic_suffix is not None:
            where += " AND topic LIKE ?"
            params.append(f"%{topic_suffix}")
        return int(
            self.db.execute(f"SELECT count(*) FROM outbox WHERE {where}", params).fetchone()[0]
        )

    def max_id(self) -> int:
        row = self.db.execute("SELECT max(id) FROM outbox").fetchone()
        return int(row[0] or 0)

    def all(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM outbox ORDER BY id"))
