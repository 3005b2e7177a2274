#!/usr/bin/python3
"""Keeps a copy of one table up to date from mysql-monitor's messages (RabbitMQ, pika).

Each row message of the source table is applied to the copy table (created LIKE the source when
missing) in one transaction with a journal row, and acknowledged only after that commit: a crash
before the ack makes RabbitMQ deliver the message again, never lose it.

Applying is idempotent and follows the stream's order (REPLACE for inserts, UPDATE/DELETE by key),
so the at-least-once stream's duplicates (the monitor re-sends what was not yet checkpointed after
a crash; README "Delivery") leave the copy right when applied again, in order. The journal
(COPY_journal: one row per message_id) is where de-duplication matters: it records each change
once, and a message whose message_id it already holds is reported as a duplicate.

A snapshot (README "Messages") re-syncs the copy: row_snapshot is applied as an upsert (REPLACE,
like row_insert). On the source's snapshot_start the copy's current keys are listed as stale in
COPY_stale (the copy's key columns and the snapshot id); every row message of the source removes
its keys (an update: old and new) from that list in the transaction that applies it, so a restart
of this consumer loses nothing; on snapshot_end of the same snapshot id the copy's rows still
listed are deleted (the source no longer has them) and the list goes. A snapshot_start of another
snapshot id starts a new list; the same one again (a redelivery, or the snapshot of the table
starting over after a DDL) keeps the list, which then only lacks keys seen since that snapshot
began. A cancelled snapshot sends no snapshot_end: its list stays, deletes nothing, and the next
snapshot_start replaces it.

  /usr/bin/python3 examples/python/table_copy.py --exchange mysql-monitor --queue employee-copy \\
      --mysql-user app --mysql-password secret --source shop.employee --copy shop.employee_copy

Debian 12 packages: python3-pika, python3-pymysql. SIGTERM or Ctrl-C stops it cleanly (exit 0).
"""

import argparse
import base64
import json
import signal
import sys

import pika
import pymysql

BINARY_TYPES = {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"}


def quote_name(name):
    return "`" + name.replace("`", "``") + "`"


def split_table(text):
    database, dot, table = text.partition(".")
    if not dot or not database or not table:
        raise SystemExit(f"table_copy: '{text}' is not DATABASE.TABLE")
    return database, table


class TableCopy:
    """Applies row messages of `source` to `copy` through one MySQL connection."""

    def __init__(self, sql, source, copy, verbose):
        self.sql = sql
        self.source = source
        self.copy = copy
        self.verbose = verbose
        self.copy_name = ".".join(quote_name(part) for part in copy)
        self.journal_name = quote_name(copy[0]) + "." + quote_name(copy[1] + "_journal")
        self.stale_name = quote_name(copy[0]) + "." + quote_name(copy[1] + "_stale")
        with sql.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.copy_name} LIKE "
                + ".".join(quote_name(part) for part in source))
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.journal_name} (message_id VARCHAR(255) PRIMARY KEY, "
                "type VARCHAR(16) NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)")
            cursor.execute(
                "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS "
                "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s", copy)
            self.column_types = {name: data_type.lower() for name, data_type in cursor.fetchall()}
            self.key_columns = self.create_stale_table(cursor)
        sql.commit()

    def create_stale_table(self, cursor):
        """COPY_stale: the keys of the copy a snapshot has not yet seen. Returns the key columns."""
        cursor.execute(
            "SELECT c.COLUMN_NAME, c.COLUMN_TYPE, c.COLLATION_NAME FROM information_schema.COLUMNS c "
            "JOIN information_schema.STATISTICS s ON s.TABLE_SCHEMA = c.TABLE_SCHEMA "
            "AND s.TABLE_NAME = c.TABLE_NAME AND s.COLUMN_NAME = c.COLUMN_NAME "
            "WHERE c.TABLE_SCHEMA = %s AND c.TABLE_NAME = %s AND s.INDEX_NAME = 'PRIMARY' "
            "ORDER BY s.SEQ_IN_INDEX", self.copy)
        keys = cursor.fetchall()
        if not keys:
            return []  # no snapshot re-sync without a key: snapshot_end then deletes nothing
        columns = ", ".join(f"{quote_name(name)} {column_type}"
                            + (f" COLLATE {collation}" if collation else "") + " NOT NULL"
                            for name, column_type, collation in keys)
        key_list = ", ".join(quote_name(name) for name, _, _ in keys)
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {self.stale_name} (snapshot_id VARCHAR(255) NOT NULL, "
                       f"{columns}, PRIMARY KEY ({key_list}))")
        return [name for name, _, _ in keys]

    def placeholder(self, column):
        """The SQL for one value of `column`: binary columns arrive base64-encoded."""
        if column not in self.column_types:
            raise ValueError(f"column {column} is not in {'.'.join(self.copy)}")
        return "FROM_BASE64(%s)" if self.column_types[column] in BINARY_TYPES else "%s"

    def parameter(self, column, value):
        """A message value as the SQL parameter the server reads back to the same value."""
        if value is None:
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, list) and self.column_types.get(column) == "set":
            return ",".join(value)
        if isinstance(value, (dict, list)):
            return json.dumps(value, separators=(",", ":"))
        if isinstance(value, str) and self.column_types.get(column) == "timestamp" and value.endswith("Z"):
            return value[:-1]  # the session's time zone is UTC
        return value

    def where(self, keys):
        if not keys:
            raise ValueError(f"{'.'.join(self.source)} has no primary key: the copy cannot find its rows")
        clause = " AND ".join(f"{quote_name(c)} = {self.placeholder(c)}" for c in keys)
        return clause, [self.parameter(c, v) for c, v in keys.items()]

    def statement(self, message):
        """The SQL and parameters that apply one row message, or None when nothing changes."""
        kind = message["type"]
        if kind in ("row_insert", "row_snapshot"):
            values = message["values"]
            columns = ", ".join(quote_name(c) for c in values)
            placeholders = ", ".join(self.placeholder(c) for c in values)
            return (f"REPLACE INTO {self.copy_name} ({columns}) VALUES ({placeholders})",
                    [self.parameter(c, v) for c, v in values.items()])
        if kind == "row_update":
            after = message["after_values"]
            if not after:
                return None
            where, where_parameters = self.where(message["keys"])
            assignments = ", ".join(f"{quote_name(c)} = {self.placeholder(c)}" for c in after)
            return (f"UPDATE {self.copy_name} SET {assignments} WHERE {where}",
                    [self.parameter(c, v) for c, v in after.items()] + where_parameters)
        where, where_parameters = self.where(message["keys"])
        return f"DELETE FROM {self.copy_name} WHERE {where}", where_parameters

    def seen_keys(self, message):
        """The keys a row message names: for an update, the row's keys before and after it."""
        keys = message["keys"]
        if not keys:
            return []
        after = {c: message["after_values"].get(c, v) for c, v in keys.items()} \
            if message["type"] == "row_update" else keys
        return [keys] if after == keys else [keys, after]

    def snapshot_statements(self, message, duplicate):
        """The SQL of a snapshot_start or snapshot_end of the source (README "Messages")."""
        snapshot_id = message["snapshot_id"]
        if not self.key_columns or (message["type"] == "snapshot_start" and duplicate):
            return []  # the same snapshot_start again keeps its list (see the top of this file)
        key_list = ", ".join(quote_name(c) for c in self.key_columns)
        if message["type"] == "snapshot_start":
            return [(f"DELETE FROM {self.stale_name}", []),
                    (f"INSERT INTO {self.stale_name} (snapshot_id, {key_list}) "
                     f"SELECT %s, {key_list} FROM {self.copy_name}", [snapshot_id])]
        return [(f"DELETE FROM {self.copy_name} WHERE ({key_list}) IN "
                 f"(SELECT {key_list} FROM {self.stale_name} WHERE snapshot_id = %s)", [snapshot_id]),
                (f"DELETE FROM {self.stale_name} WHERE snapshot_id = %s", [snapshot_id])]

    def journaled(self, cursor, message_id):
        cursor.execute(f"SELECT 1 FROM {self.journal_name} WHERE message_id = %s", (message_id,))
        return cursor.fetchone() is not None

    def apply(self, message_id, message):
        """Applies and journals one message in one transaction; False when it is a duplicate."""
        with self.sql.cursor() as cursor:
            if message["type"] in ("snapshot_start", "snapshot_end"):
                statements = self.snapshot_statements(message, self.journaled(cursor, message_id))
            else:
                statement = self.statement(message)
                statements = [] if statement is None else [statement]
                if self.key_columns:  # the row is seen: it is no longer stale
                    for keys in self.seen_keys(message):
                        where, where_parameters = self.where(keys)
                        statements.append((f"DELETE FROM {self.stale_name} WHERE {where}",
                                           where_parameters))
            for statement in statements:
                cursor.execute(*statement)
            journaled = cursor.execute(
                f"INSERT IGNORE INTO {self.journal_name} (message_id, type) VALUES (%s, %s)",
                (message_id, message["type"]))
        self.sql.commit()
        return journaled == 1

    def from_origin(self, message):
        """A row message of [message] format = origin (docs/migrating-from-the-python-monitor.md) in
        the native form: the database is the source's, an update's keys are the row's before it
        (origin keys are the ones after), binary text becomes base64, BIT "10101" a number and TIME
        "4 days, 4:00:00" the server's "100:00:00"."""
        message["database"] = self.source[0]
        for section in ("keys", "values", "before_values", "after_values"):
            if section in message:
                message[section] = {c: self.from_origin_value(c, v) for c, v in message[section].items()}
        if message["type"] == "row_update":
            before = message["before_values"]
            message["keys"] = {c: before.get(c, v) for c, v in message["keys"].items()}
        return message

    def from_origin_value(self, column, value):
        column_type = self.column_types.get(column)
        if not isinstance(value, str):
            return value
        if column_type in BINARY_TYPES:
            # The origin's text of UTF-8 bytes; what it could not publish arrives as base64 already
            # and cannot be told apart: such bytes are a reason to stay with the native format.
            return base64.b64encode(value.encode("utf-8")).decode("ascii")
        if column_type == "bit":
            return int(value, 2)
        if column_type == "time":
            return server_time(value)
        return value

    def handle(self, properties, body):
        message = json.loads(body)
        kind = message.get("type")
        if kind in ("row_insert", "row_update", "row_delete") and "database" not in message:
            message = self.from_origin(message)
        if kind == "gap":
            print(f"table_copy: WARNING: changes between {message['from']} and {message['to']} were lost "
                  f"(purged binlog); {'.'.join(self.copy)} must be copied again from {'.'.join(self.source)}",
                  file=sys.stderr, flush=True)
            return
        if kind == "row_oversize":
            print(f"table_copy: WARNING: the {message['row_type']} of {message['database']}.{message['table_name']} "
                  f"keys {json.dumps(message['keys'])} was too large for the broker ({message['message_size']} > "
                  f"{message['max_message_size']} bytes) and is not in the copy: read that row from the source",
                  file=sys.stderr, flush=True)
            return
        if kind not in ("row_insert", "row_update", "row_delete", "row_snapshot", "snapshot_start",
                        "snapshot_end"):
            return  # heartbeats
        if (message["database"], message["table_name"]) != self.source:
            return
        if not properties.message_id:
            raise ValueError(f"{kind} message without a message_id")
        first_time = self.apply(properties.message_id, message)
        if not first_time:
            print(f"table_copy: duplicate {properties.message_id} (applied again, journaled once)", flush=True)
        elif self.verbose:
            print(f"table_copy: applied {properties.message_id} {body.decode()}", flush=True)


def server_time(text):
    """Python's str(timedelta) ("-1 day, 23:00:00", "4 days, 4:00:00.500000") as a TIME literal."""
    days = 0
    if "," in text:
        day_text, text = text.split(",", 1)
        days = int(day_text.split()[0])
    clock, _, fraction = text.strip().partition(".")
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    micros = days * 86400_000000 + ((hours * 60 + minutes) * 60 + seconds) * 1000000 + int(fraction or 0)
    sign, micros = ("-", -micros) if micros < 0 else ("", micros)
    seconds, micros = divmod(micros, 1000000)
    literal = f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return literal + (f".{micros:06d}" if micros else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amqp-host", default="127.0.0.1")
    parser.add_argument("--amqp-port", type=int, default=5672)
    parser.add_argument("--amqp-user", default="guest")
    parser.add_argument("--amqp-password", default="guest")
    parser.add_argument("--amqp-vhost", default="/")
    parser.add_argument("--exchange", default="mysql-monitor", help="the monitor's [amqp] exchange")
    parser.add_argument("--exchange-type", default="fanout", help="the monitor's [amqp] exchange_type")
    parser.add_argument("--binding-key", default="#")
    parser.add_argument("--queue", required=True, help="durable queue of this copy (survives restarts)")
    parser.add_argument("--mysql-host", default="127.0.0.1")
    parser.add_argument("--mysql-port", type=int, default=3306)
    parser.add_argument("--mysql-user", required=True)
    parser.add_argument("--mysql-password", default="")
    parser.add_argument("--source", required=True, help="DATABASE.TABLE the monitor publishes")
    parser.add_argument("--copy", required=True, help="DATABASE.TABLE to keep equal to it")
    parser.add_argument("--verbose", action="store_true", help="print every message applied")
    parser.add_argument("--stop-after", type=int, default=0, metavar="N",
                        help="exit(3) after handling N messages, before acknowledging the Nth "
                             "(shows the redelivery of an applied message)")
    args = parser.parse_args()

    sql = pymysql.connect(host=args.mysql_host, port=args.mysql_port, user=args.mysql_user,
                          password=args.mysql_password, charset="utf8mb4", autocommit=False,
                          init_command="SET time_zone = '+00:00'")
    copy = TableCopy(sql, split_table(args.source), split_table(args.copy), args.verbose)

    credentials = pika.PlainCredentials(args.amqp_user, args.amqp_password)
    connection = pika.BlockingConnection(pika.ConnectionParameters(
        host=args.amqp_host, port=args.amqp_port, virtual_host=args.amqp_vhost, credentials=credentials))
    channel = connection.channel()
    channel.exchange_declare(args.exchange, exchange_type=args.exchange_type, durable=True)
    channel.queue_declare(args.queue, durable=True)
    channel.queue_bind(args.queue, args.exchange, routing_key=args.binding_key)
    channel.basic_qos(prefetch_count=100)

    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"table_copy: consuming {args.queue}: {args.source} -> {args.copy}", flush=True)
    handled = 0
    for method, properties, body in channel.consume(args.queue, inactivity_timeout=0.5):
        if stopping:
            break
        if method is None:
            continue
        copy.handle(properties, body)
        handled += 1
        if args.stop_after and handled == args.stop_after:
            print(f"table_copy: stopping after {handled} messages without acknowledging "
                  f"{properties.message_id}", flush=True)
            sys.exit(3)
        channel.basic_ack(method.delivery_tag)
    channel.cancel()
    connection.close()
    sql.close()
    print(f"table_copy: stopped after {handled} messages", flush=True)


if __name__ == "__main__":
    main()
