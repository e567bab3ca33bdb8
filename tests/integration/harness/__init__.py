"""Helpers for the integration tests: the stack under test, an HTTP client, database
queries and log scanning. Tests import what they need from here."""

from harness.client import Client, Response, encode_multipart
from harness.db import Db
from harness.logs import Logs
from harness.stack import Skip, Stack

__all__ = ["Client", "Db", "Logs", "Response", "Skip", "Stack", "encode_multipart"]
