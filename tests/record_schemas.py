"""The tables each earlier schema of the record had, as the gate of that version created them
(its ``sqlite_master``): the files the migration tests start from."""

from __future__ import annotations

EARLIER_SCHEMAS: dict[int, tuple[str, ...]] = {
    1: (
        (
            'CREATE TABLE "checks" ( "event_id" TEXT PRIMARY KEY, "ts" TEXT NOT NULL, '
            '"epoch_s" REAL NOT NULL, "park" TEXT, "gate" TEXT, "person_id" TEXT, "code" '
            'TEXT, "temperature_c" REAL, "first_c" REAL, "sensor_fault" TEXT, "decision" TEXT'
            ' NOT NULL, "reason" TEXT NOT NULL, "route" TEXT NOT NULL, "check_s" REAL, '
            '"processing_ms" REAL )'
        ),
        'CREATE INDEX "idx_checks_epoch_s" ON "checks" ("epoch_s")',
        (
            'CREATE TABLE "outbox" ( "id" INTEGER PRIMARY KEY, "event_id" TEXT, "topic" TEXT '
            'NOT NULL, "payload" TEXT NOT NULL, "qos" INTEGER NOT NULL, "retain" INTEGER NOT '
            'NULL, "created_s" REAL NOT NULL, "sent_s" REAL )'
        ),
        'CREATE INDEX "idx_outbox_sent_s" ON "outbox" ("sent_s")',
    ),
    2: (
        (
            'CREATE TABLE "checks" ( "event_id" TEXT PRIMARY KEY, "ts" TEXT NOT NULL, '
            '"epoch_s" REAL NOT NULL, "park" TEXT, "gate" TEXT, "person_id" TEXT, "code" '
            'TEXT, "temperature_c" REAL, "first_c" REAL, "sensor_fault" TEXT, "decision" TEXT'
            ' NOT NULL, "reason" TEXT NOT NULL, "route" TEXT NOT NULL, "check_s" REAL, '
            '"processing_ms" REAL, "code_fingerprint" TEXT, "code_issuer" TEXT, "replay_of" '
            "TEXT )"
        ),
        'CREATE INDEX "idx_checks_epoch_s" ON "checks" ("epoch_s")',
        (
            'CREATE TABLE "outbox" ( "id" INTEGER PRIMARY KEY, "event_id" TEXT, "seq" '
            'INTEGER, "topic" TEXT NOT NULL, "payload" TEXT NOT NULL, "qos" INTEGER NOT NULL,'
            ' "retain" INTEGER NOT NULL, "created_s" REAL NOT NULL, "sent_s" REAL )'
        ),
        'CREATE INDEX "idx_outbox_sent_s" ON "outbox" ("sent_s")',
        'CREATE TABLE "meta" ( "key" TEXT PRIMARY KEY, "value" TEXT )',
        (
            'CREATE TABLE "holds" ( "event_id" TEXT PRIMARY KEY, "fingerprint" TEXT NOT NULL,'
            ' "person_id" TEXT NOT NULL, "admitted_s" REAL NOT NULL, "until_s" REAL NOT NULL '
            ")"
        ),
        'CREATE INDEX "idx_holds_fingerprint" ON "holds" ("fingerprint")',
        'CREATE INDEX "idx_holds_person_id" ON "holds" ("person_id")',
        (
            'CREATE TABLE "faults" ( "event_id" TEXT PRIMARY KEY, "kind" TEXT NOT NULL, '
            '"active" INTEGER NOT NULL, "at_s" REAL NOT NULL )'
        ),
        (
            'CREATE TABLE "commands" ( "command_id" TEXT, "name" TEXT NOT NULL, "issued_by" '
            'TEXT, "key_id" TEXT, "verified" INTEGER NOT NULL, "outcome" TEXT NOT NULL, '
            '"detail" TEXT, "received_s" REAL NOT NULL, "expires_s" REAL )'
        ),
        'CREATE INDEX "idx_commands_command_id" ON "commands" ("command_id")',
        (
            'CREATE TABLE "boots" ( "boot_id" TEXT PRIMARY KEY, "started_s" REAL NOT NULL, '
            '"alive_s" REAL NOT NULL )'
        ),
        (
            'CREATE TABLE "daily_reports" ( "day" TEXT PRIMARY KEY, "event_id" TEXT NOT NULL,'
            ' "payload" TEXT NOT NULL, "made_s" REAL NOT NULL )'
        ),
    ),
    3: (
        (
            'CREATE TABLE "checks" ( "event_id" TEXT PRIMARY KEY, "ts" TEXT NOT NULL, '
            '"epoch_s" REAL NOT NULL, "park" TEXT, "gate" TEXT, "person_id" TEXT, "code" '
            'TEXT, "temperature_c" REAL, "first_c" REAL, "sensor_fault" TEXT, "decision" TEXT'
            ' NOT NULL, "reason" TEXT NOT NULL, "route" TEXT NOT NULL, "check_s" REAL, '
            '"processing_ms" REAL, "object_c" REAL, "ambient_c" REAL, "distance_cm" REAL, '
            '"estimate_mode" TEXT, "reference_c" REAL, "measure_state" TEXT, '
            '"code_fingerprint" TEXT, "code_issuer" TEXT, "replay_of" TEXT )'
        ),
        'CREATE INDEX "idx_checks_epoch_s" ON "checks" ("epoch_s")',
        (
            'CREATE TABLE "outbox" ( "id" INTEGER PRIMARY KEY, "event_id" TEXT, "seq" '
            'INTEGER, "topic" TEXT NOT NULL, "payload" TEXT NOT NULL, "qos" INTEGER NOT NULL,'
            ' "retain" INTEGER NOT NULL, "created_s" REAL NOT NULL, "sent_s" REAL )'
        ),
        'CREATE INDEX "idx_outbox_sent_s" ON "outbox" ("sent_s")',
        'CREATE TABLE "meta" ( "key" TEXT PRIMARY KEY, "value" TEXT )',
        (
            'CREATE TABLE "holds" ( "event_id" TEXT PRIMARY KEY, "fingerprint" TEXT NOT NULL,'
            ' "person_id" TEXT NOT NULL, "admitted_s" REAL NOT NULL, "until_s" REAL NOT NULL '
            ")"
        ),
        'CREATE INDEX "idx_holds_fingerprint" ON "holds" ("fingerprint")',
        'CREATE INDEX "idx_holds_person_id" ON "holds" ("person_id")',
        (
            'CREATE TABLE "faults" ( "event_id" TEXT PRIMARY KEY, "kind" TEXT NOT NULL, '
            '"active" INTEGER NOT NULL, "at_s" REAL NOT NULL )'
        ),
        (
            'CREATE TABLE "commands" ( "command_id" TEXT, "name" TEXT NOT NULL, "issued_by" '
            'TEXT, "key_id" TEXT, "verified" INTEGER NOT NULL, "outcome" TEXT NOT NULL, '
            '"detail" TEXT, "received_s" REAL NOT NULL, "expires_s" REAL )'
        ),
        'CREATE INDEX "idx_commands_command_id" ON "commands" ("command_id")',
        (
            'CREATE TABLE "boots" ( "boot_id" TEXT PRIMARY KEY, "started_s" REAL NOT NULL, '
            '"alive_s" REAL NOT NULL )'
        ),
        (
            'CREATE TABLE "daily_reports" ( "day" TEXT PRIMARY KEY, "event_id" TEXT NOT NULL,'
            ' "payload" TEXT NOT NULL, "made_s" REAL NOT NULL )'
        ),
        (
            'CREATE TABLE "secondary_steps" ( "id" INTEGER PRIMARY KEY, "flag_id" TEXT NOT '
            'NULL, "at_s" REAL NOT NULL, "step" TEXT NOT NULL, "by" TEXT NOT NULL, '
            '"clinical_c" REAL, "detail" TEXT )'
        ),
        'CREATE INDEX "idx_secondary_steps_flag_id" ON "secondary_steps" ("flag_id")',
        (
            'CREATE TABLE "sensor_events" ( "id" INTEGER PRIMARY KEY, "at_s" REAL NOT NULL, '
            '"kind" TEXT NOT NULL, "detail" TEXT )'
        ),
        (
            'CREATE TABLE "passages" ( "admission_id" TEXT PRIMARY KEY, "admitted_by" TEXT '
            'NOT NULL, "person_id" TEXT, "released_s" REAL NOT NULL, "window_s" REAL, '
            '"outcome" TEXT NOT NULL, "passed_s" REAL, "closed_s" REAL )'
        ),
        'CREATE INDEX "idx_passages_released_s" ON "passages" ("released_s")',
        (
            'CREATE TABLE "overrides" ( "id" INTEGER PRIMARY KEY, "event_id" TEXT NOT NULL, '
            '"at_s" REAL NOT NULL, "source" TEXT NOT NULL, "by" TEXT NOT NULL, "reason" TEXT '
            'NOT NULL, "command_id" TEXT )'
        ),
        (
            'CREATE TABLE "emergencies" ( "id" INTEGER PRIMARY KEY, "event_id" TEXT NOT NULL,'
            ' "started_s" REAL NOT NULL, "ended_s" REAL, "detail" TEXT )'
        ),
    ),
    4: (
        (
            'CREATE TABLE "checks" ( "event_id" TEXT PRIMARY KEY, "ts" TEXT NOT NULL, '
            '"epoch_s" REAL NOT NULL, "park" TEXT, "gate" TEXT, "person_id" TEXT, "code" '
            'TEXT, "temperature_c" REAL, "first_c" REAL, "sensor_fault" TEXT, "decision" TEXT'
            ' NOT NULL, "reason" TEXT NOT NULL, "route" TEXT NOT NULL, "check_s" REAL, '
            '"processing_ms" REAL, "object_c" REAL, "ambient_c" REAL, "distance_cm" REAL, '
            '"estimate_mode" TEXT, "reference_c" REAL, "measure_state" TEXT, '
            '"code_fingerprint" TEXT, "code_issuer" TEXT, "replay_of" TEXT, "next_window" '
            "TEXT )"
        ),
        'CREATE INDEX "idx_checks_epoch_s" ON "checks" ("epoch_s")',
        (
            'CREATE TABLE "outbox" ( "id" INTEGER PRIMARY KEY, "event_id" TEXT, "seq" '
            'INTEGER, "topic" TEXT NOT NULL, "payload" TEXT NOT NULL, "qos" INTEGER NOT NULL,'
            ' "retain" INTEGER NOT NULL, "created_s" REAL NOT NULL, "sent_s" REAL )'
        ),
        'CREATE INDEX "idx_outbox_sent_s" ON "outbox" ("sent_s")',
        'CREATE TABLE "meta" ( "key" TEXT PRIMARY KEY, "value" TEXT )',
        (
            'CREATE TABLE "holds" ( "event_id" TEXT PRIMARY KEY, "fingerprint" TEXT NOT NULL,'
            ' "person_id" TEXT NOT NULL, "admitted_s" REAL NOT NULL, "until_s" REAL NOT NULL '
            ")"
        ),
        'CREATE INDEX "idx_holds_fingerprint" ON "holds" ("fingerprint")',
        'CREATE INDEX "idx_holds_person_id" ON "holds" ("person_id")',
        (
            'CREATE TABLE "faults" ( "event_id" TEXT PRIMARY KEY, "kind" TEXT NOT NULL, '
            '"active" INTEGER NOT NULL, "at_s" REAL NOT NULL )'
        ),
        (
            'CREATE TABLE "commands" ( "command_id" TEXT, "name" TEXT NOT NULL, "issued_by" '
            'TEXT, "key_id" TEXT, "verified" INTEGER NOT NULL, "outcome" TEXT NOT NULL, '
            '"detail" TEXT, "received_s" REAL NOT NULL, "expires_s" REAL )'
        ),
        'CREATE INDEX "idx_commands_command_id" ON "commands" ("command_id")',
        (
            'CREATE TABLE "boots" ( "boot_id" TEXT PRIMARY KEY, "started_s" REAL NOT NULL, '
            '"alive_s" REAL NOT NULL )'
        ),
        (
            'CREATE TABLE "daily_reports" ( "day" TEXT PRIMARY KEY, "event_id" TEXT NOT NULL,'
            ' "payload" TEXT NOT NULL, "made_s" REAL NOT NULL )'
        ),
        (
            'CREATE TABLE "secondary_steps" ( "id" INTEGER PRIMARY KEY, "flag_id" TEXT NOT '
            'NULL, "at_s" REAL NOT NULL, "step" TEXT NOT NULL, "by" TEXT NOT NULL, '
            '"clinical_c" REAL, "detail" TEXT )'
        ),
        'CREATE INDEX "idx_secondary_steps_flag_id" ON "secondary_steps" ("flag_id")',
        (
            'CREATE TABLE "sensor_events" ( "id" INTEGER PRIMARY KEY, "at_s" REAL NOT NULL, '
            '"kind" TEXT NOT NULL, "detail" TEXT )'
        ),
        (
            'CREATE TABLE "passages" ( "admission_id" TEXT PRIMARY KEY, "admitted_by" TEXT '
            'NOT NULL, "person_id" TEXT, "released_s" REAL NOT NULL, "window_s" REAL, '
            '"outcome" TEXT NOT NULL, "passed_s" REAL, "closed_s" REAL )'
        ),
        'CREATE INDEX "idx_passages_released_s" ON "passages" ("released_s")',
        (
            'CREATE TABLE "overrides" ( "id" INTEGER PRIMARY KEY, "event_id" TEXT NOT NULL, '
            '"at_s" REAL NOT NULL, "source" TEXT NOT NULL, "by" TEXT NOT NULL, "reason" TEXT '
            'NOT NULL, "command_id" TEXT )'
        ),
        (
            'CREATE TABLE "emergencies" ( "id" INTEGER PRIMARY KEY, "event_id" TEXT NOT NULL,'
            ' "started_s" REAL NOT NULL, "ended_s" REAL, "detail" TEXT )'
        ),
    ),
    5: (
        (
            'CREATE TABLE "checks" ( "event_id" TEXT PRIMARY KEY, "ts" TEXT NOT NULL, '
            '"epoch_s" REAL NOT NULL, "park" TEXT, "gate" TEXT, "person_id" TEXT, "code" '
            'TEXT, "temperature_c" REAL, "first_c" REAL, "sensor_fault" TEXT, "decision" TEXT'
            ' NOT NULL, "reason" TEXT NOT NULL, "route" TEXT NOT NULL, "check_s" REAL, '
            '"processing_ms" REAL, "object_c" REAL, "ambient_c" REAL, "distance_cm" REAL, '
            '"estimate_mode" TEXT, "reference_c" REAL, "measure_state" TEXT, '
            '"code_fingerprint" TEXT, "code_issuer" TEXT, "replay_of" TEXT, "next_window" '
            "TEXT )"
        ),
        'CREATE INDEX "idx_checks_epoch_s" ON "checks" ("epoch_s")',
        (
            'CREATE TABLE "outbox" ( "id" INTEGER PRIMARY KEY, "event_id" TEXT, "seq" '
            'INTEGER, "topic" TEXT NOT NULL, "payload" TEXT NOT NULL, "qos" INTEGER NOT NULL,'
            ' "retain" INTEGER NOT NULL, "created_s" REAL NOT NULL, "sent_s" REAL )'
        ),
        'CREATE INDEX "idx_outbox_sent_s" ON "outbox" ("sent_s")',
        'CREATE TABLE "meta" ( "key" TEXT PRIMARY KEY, "value" TEXT )',
        (
            'CREATE TABLE "holds" ( "event_id" TEXT PRIMARY KEY, "fingerprint" TEXT NOT NULL,'
            ' "person_id" TEXT NOT NULL, "admitted_s" REAL NOT NULL, "until_s" REAL NOT NULL '
            ")"
        ),
        'CREATE INDEX "idx_holds_fingerprint" ON "holds" ("fingerprint")',
        'CREATE INDEX "idx_holds_person_id" ON "holds" ("person_id")',
        (
            'CREATE TABLE "faults" ( "event_id" TEXT PRIMARY KEY, "kind" TEXT NOT NULL, '
            '"active" INTEGER NOT NULL, "at_s" REAL NOT NULL )'
        ),
        (
            'CREATE TABLE "commands" ( "command_id" TEXT, "name" TEXT NOT NULL, "issued_by" '
            'TEXT, "key_id" TEXT, "verified" INTEGER NOT NULL, "outcome" TEXT NOT NULL, '
            '"detail" TEXT, "received_s" REAL NOT NULL, "expires_s" REAL )'
        ),
        'CREATE INDEX "idx_commands_command_id" ON "commands" ("command_id")',
        (
            'CREATE TABLE "boots" ( "boot_id" TEXT PRIMARY KEY, "started_s" REAL NOT NULL, '
            '"alive_s" REAL NOT NULL )'
        ),
        (
            'CREATE TABLE "daily_reports" ( "day" TEXT PRIMARY KEY, "event_id" TEXT NOT NULL,'
            ' "payload" TEXT NOT NULL, "made_s" REAL NOT NULL )'
        ),
        (
            'CREATE TABLE "secondary_steps" ( "id" INTEGER PRIMARY KEY, "flag_id" TEXT NOT '
            'NULL, "at_s" REAL NOT NULL, "step" TEXT NOT NULL, "by" TEXT NOT NULL, '
            '"clinical_c" REAL, "detail" TEXT )'
        ),
        'CREATE INDEX "idx_secondary_steps_flag_id" ON "secondary_steps" ("flag_id")',
        (
            'CREATE TABLE "sensor_events" ( "id" INTEGER PRIMARY KEY, "at_s" REAL NOT NULL, '
            '"kind" TEXT NOT NULL, "detail" TEXT )'
        ),
        (
            'CREATE TABLE "passages" ( "admission_id" TEXT PRIMARY KEY, "admitted_by" TEXT '
            'NOT NULL, "person_id" TEXT, "released_s" REAL NOT NULL, "window_s" REAL, '
            '"outcome" TEXT NOT NULL, "passed_s" REAL, "closed_s" REAL )'
        ),
        'CREATE INDEX "idx_passages_released_s" ON "passages" ("released_s")',
        (
            'CREATE TABLE "overrides" ( "id" INTEGER PRIMARY KEY, "event_id" TEXT NOT NULL, '
            '"at_s" REAL NOT NULL, "source" TEXT NOT NULL, "by" TEXT NOT NULL, "reason" TEXT '
            'NOT NULL, "command_id" TEXT )'
        ),
        (
            'CREATE TABLE "emergencies" ( "id" INTEGER PRIMARY KEY, "event_id" TEXT NOT NULL,'
            ' "started_s" REAL NOT NULL, "ended_s" REAL, "detail" TEXT )'
        ),
        (
            'CREATE TABLE "vehicles" ( "id" INTEGER PRIMARY KEY, "event_id" TEXT NOT NULL, '
            '"at_s" REAL NOT NULL, "plate" TEXT NOT NULL, "driver" TEXT NOT NULL, "purpose" '
            'TEXT NOT NULL, "decision" TEXT NOT NULL, "reason" TEXT NOT NULL, '
            '"driver_check_id" TEXT, "by" TEXT, "command_id" TEXT )'
        ),
        'CREATE INDEX "idx_vehicles_plate" ON "vehicles" ("plate")',
    ),
    6: (
        (
            'CREATE TABLE "checks" ( "event_id" TEXT PRIMARY KEY, "ts" TEXT NOT NULL, '
            '"epoch_s" REAL NOT NULL, "park" TEXT, "gate" TEXT, "person_id" TEXT, "code" '
            'TEXT, "temperature_c" REAL, "first_c" REAL, "sensor_fault" TEXT, "decision" '
            'TEXT NOT NULL, "reason" TEXT NOT NULL, "route" TEXT NOT NULL, "check_s" '
            'REAL, "processing_ms" REAL, "object_c" REAL, "ambient_c" REAL, "distance_cm" '
            'REAL, "estimate_mode" TEXT, "reference_c" REAL, "measure_state" TEXT, '
            '"code_fingerprint" TEXT, "code_issuer" TEXT, "replay_of" TEXT, "next_window" '
            'TEXT, "direction" TEXT, "passback_of" TEXT )'
        ),
        'CREATE INDEX "idx_checks_epoch_s" ON "checks" ("epoch_s")',
        (
            'CREATE TABLE "outbox" ( "id" INTEGER PRIMARY KEY, "event_id" TEXT, "seq" '
            'INTEGER, "topic" TEXT NOT NULL, "payload" TEXT NOT NULL, "qos" INTEGER NOT '
            'NULL, "retain" INTEGER NOT NULL, "created_s" REAL NOT NULL, "sent_s" REAL )'
        ),
        'CREATE INDEX "idx_outbox_sent_s" ON "outbox" ("sent_s")',
        'CREATE TABLE "meta" ( "key" TEXT PRIMARY KEY, "value" TEXT )',
        (
            'CREATE TABLE "holds" ( "event_id" TEXT PRIMARY KEY, "fingerprint" TEXT NOT '
            'NULL, "person_id" TEXT NOT NULL, "admitted_s" REAL NOT NULL, "until_s" REAL '
            "NOT NULL )"
        ),
        'CREATE INDEX "idx_holds_fingerprint" ON "holds" ("fingerprint")',
        'CREATE INDEX "idx_holds_person_id" ON "holds" ("person_id")',
        (
            'CREATE TABLE "boots" ( "boot_id" TEXT PRIMARY KEY, "started_s" REAL NOT '
            'NULL, "alive_s" REAL NOT NULL )'
        ),
        (
            'CREATE TABLE "commands" ( "command_id" TEXT, "name" TEXT NOT NULL, '
            '"issued_by" TEXT, "key_id" TEXT, "verified" INTEGER NOT NULL, "outcome" TEXT '
            'NOT NULL, "detail" TEXT, "received_s" REAL NOT NULL, "expires_s" REAL )'
        ),
        'CREATE INDEX "idx_commands_command_id" ON "commands" ("command_id")',
        (
            'CREATE TABLE "daily_reports" ( "day" TEXT PRIMARY KEY, "event_id" TEXT NOT '
            'NULL, "payload" TEXT NOT NULL, "made_s" REAL NOT NULL )'
        ),
        (
            'CREATE TABLE "passages" ( "admission_id" TEXT PRIMARY KEY, "admitted_by" '
            'TEXT NOT NULL, "person_id" TEXT, "released_s" REAL NOT NULL, "window_s" '
            'REAL, "outcome" TEXT NOT NULL, "passed_s" REAL, "closed_s" REAL, "direction" '
            'TEXT, "zone" TEXT, "gate" TEXT )'
        ),
        'CREATE INDEX "idx_passages_released_s" ON "passages" ("released_s")',
        ('CREATE INDEX "idx_passages_zone_person_id" ON "passages" ("zone", "person_id")'),
        (
            'CREATE TABLE "faults" ( "event_id" TEXT PRIMARY KEY, "kind" TEXT NOT NULL, '
            '"active" INTEGER NOT NULL, "at_s" REAL NOT NULL )'
        ),
        (
            'CREATE TABLE "secondary_steps" ( "id" INTEGER PRIMARY KEY, "flag_id" TEXT '
            'NOT NULL, "at_s" REAL NOT NULL, "step" TEXT NOT NULL, "by" TEXT NOT NULL, '
            '"clinical_c" REAL, "detail" TEXT )'
        ),
        ('CREATE INDEX "idx_secondary_steps_flag_id" ON "secondary_steps" ("flag_id")'),
        (
            'CREATE TABLE "sensor_events" ( "id" INTEGER PRIMARY KEY, "at_s" REAL NOT '
            'NULL, "kind" TEXT NOT NULL, "detail" TEXT )'
        ),
        (
            'CREATE TABLE "overrides" ( "id" INTEGER PRIMARY KEY, "event_id" TEXT NOT '
            'NULL, "at_s" REAL NOT NULL, "source" TEXT NOT NULL, "by" TEXT NOT NULL, '
            '"reason" TEXT NOT NULL, "command_id" TEXT )'
        ),
        (
            'CREATE TABLE "emergencies" ( "id" INTEGER PRIMARY KEY, "event_id" TEXT NOT '
            'NULL, "started_s" REAL NOT NULL, "ended_s" REAL, "detail" TEXT )'
        ),
        (
            'CREATE TABLE "vehicles" ( "id" INTEGER PRIMARY KEY, "event_id" TEXT NOT '
            'NULL, "at_s" REAL NOT NULL, "plate" TEXT, "driver" TEXT, "purpose" TEXT, '
            '"decision" TEXT NOT NULL, "reason" TEXT NOT NULL, "driver_check_id" TEXT, '
            '"by" TEXT, "command_id" TEXT, "source" TEXT )'
        ),
        'CREATE INDEX "idx_vehicles_plate" ON "vehicles" ("plate")',
        (
            'CREATE TABLE "zone_events" ( "id" INTEGER PRIMARY KEY, "at_s" REAL NOT NULL, '
            '"kind" TEXT NOT NULL, "detail" TEXT )'
        ),
    ),
}
