"""Reading the stack's logs: lines of one request, and sanitizer reports."""

import glob
import os
import re
import time

# Lines that AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer print.
SANITIZER_PATTERN = re.compile(
    r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|"
    r"SUMMARY: (AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer)")

# The logs of the project's programs; PostgreSQL's and the web servers' are not scanned.
PROGRAM_LOGS = ("cv-api.log", "cv-worker.log", "broker.log")


def point_sanitizer_logs(var_dir):
    """Send the sanitizer reports of every program started from here on to files
    VAR_DIR/log/sanitizer.PID, unless ASAN_OPTIONS or UBSAN_OPTIONS name a log_path."""
    log_path = os.path.join(var_dir, "log", "sanitizer")
    for name, extra in (("ASAN_OPTIONS", ""), ("UBSAN_OPTIONS", "print_stacktrace=1")):
        options = [o for o in os.environ.get(name, "").split(":") if o]
        if not any(o.startswith("log_path=") for o in options):
            options.append(f"log_path={log_path}")
        if extra and not any(o.startswith(extra.split("=")[0] + "=") for o in options):
            options.append(extra)
        os.environ[name] = ":".join(options)


class Logs:
    """The log folder of one stack."""

    def __init__(self, var_dir):
        self.var_dir = var_dir
        self.dir = os.path.join(var_dir, "log")

    def path(self, name):
        return os.path.join(self.dir, name)

    def read(self, name):
        """Return the text of log file name, or "" when it does not exist."""
        try:
            with open(self.path(name), encoding="utf-8", errors="replace") as fp:
                return fp.read()
        except FileNotFoundError:
            return ""

    def lines(self, name, needle):
        """Return the lines of log name that contain the string needle."""
        return [line for line in self.read(name).splitlines() if needle in line]

    def wait_lines(self, name, needle, timeout_s=5):
        """Return the lines of log name that contain needle, waiting up to timeout_s for
        the first: a server writes a request's log line after it sent the response."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = self.lines(name, needle)
            if found or time.monotonic() >= deadline:
                return found
            time.sleep(0.05)

    def sanitizer_reports(self):
        """Return (file, excerpt) for every sanitizer report found.

        The test runner points ASAN_OPTIONS and UBSAN_OPTIONS log_path at
        log/sanitizer, so each report is a file sanitizer.PID; reports that went to a
        program's stderr are found in its log.
        """
        reports = []
        for path in sorted(glob.glob(os.path.join(self.dir, "sanitizer*"))):
            with open(path, encoding="utf-8", errors="replace") as fp:
                reports.append((path, fp.read(4000)))
        candidates = [os.path.join(self.var_dir, "stack.log")]
        candidates += [self.path(name) for name in PROGRAM_LOGS]
        for path in candidates:
            try:
                with open(path, encoding="utf-8", errors="replace") as fp:
                    text = fp.read()
            except FileNotFoundError:
                continue
            match = SANITIZER_PATTERN.search(text)
            if match:
                start = max(0, match.start() - 200)
                reports.append((path, text[start:start + 4000]))
        return reports
