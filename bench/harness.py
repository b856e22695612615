"""What every mailer benchmark needs, started and stopped by the benchmark itself: a database
of its own, a redis-server, SMTP servers in processes of their own, tenants, and Celery worker
and beat processes started exactly as shipped (`celery -A cymmetri worker`, whose pool and
concurrency come from the settings that `make run` and docker-compose use)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.redis_server import RedisServer  # noqa: E402
from tests.smtp_servers import (  # noqa: E402
    LOOPBACK_NETWORKS,
    SMTP_PASSWORD,
    SMTP_USERNAME,
    free_port,
    make_certificates,
)
from tests.support import guarded  # noqa: E402

# BENCH_DB: another database name, to run beside another checkout on the same server.
BENCH_DB = os.environ.get("BENCH_DB", "cymmetri_bench")
QUEUE = "bench"


class Sink:
    """An SMTP server (STARTTLS + AUTH) in ``processes`` processes on one port (a provider has
    more than one core); records when each Message-ID was accepted."""

    def __init__(self, certs, processes: int = 1, delay: float = 0.0) -> None:
        self.port = free_port()
        self.accepted: dict[str, float] = {}
        self.received_ids: list[str] = []  # every message, duplicates included
        self.processes = []
        for _ in range(processes):
            process = subprocess.Popen(
                guarded(
                    [
                        sys.executable,
                        str(ROOT / "bench" / "smtp_sink.py"),
                        "--port",
                        str(self.port),
                        "--cert",
                        str(certs.ca_signed.cert_file),
                        "--key",
                        str(certs.ca_signed.key_file),
                        "--delay",
                        str(delay),
                    ]
                ),
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            assert process.stdout.readline().strip() == "ready"
            threading.Thread(target=self._read, args=(process,), daemon=True).start()
            self.processes.append(process)

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            stamp, _, message_id = line.strip().partition(" ")
            self.accepted[message_id] = float(stamp)
            self.received_ids.append(message_id)

    def wait_for(self, message_ids: set[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not message_ids <= self.accepted.keys():
            if time.monotonic() > deadline:
                missing = len(message_ids - self.accepted.keys())
                raise TimeoutError(f"{missing} emails were not delivered within {timeout} s")
            time.sleep(0.01)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait()


class Bench:
    """A database, a redis-server, the platform's SMTP server and the settings pointing at
    them; ``sinks`` more SMTP servers for tenants' own SMTP."""

    def __init__(
        self,
        *,
        sinks: int = 1,
        sink_processes: int = 1,
        sink_delay: float = 0.0,
        env: dict | None = None,
    ):
        self.certs = make_certificates(Path(tempfile.mkdtemp(prefix="bench-certs-")))
        self.redis = RedisServer().start()
        self.platform = Sink(self.certs, sink_processes)
        self.sinks = [Sink(self.certs, sink_processes, sink_delay) for _ in range(sinks)]
        self.workers: list[subprocess.Popen] = []
        self.beat: subprocess.Popen | None = None
        ports = ",".join(str(sink.port) for sink in [self.platform, *self.sinks])
        self.env = {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}",
            "REDIS_URL": self.redis.url,
            "CELERY_QUEUE": QUEUE,
            "SMTP_ALLOWED_PRIVATE_NETWORKS": ",".join(LOOPBACK_NETWORKS),
            "SMTP_ALLOWED_PORTS": f"587,{ports}",
            "SMTP_CA_FILE": str(self.certs.ca_file),
            "PLATFORM_SMTP_HOST": "localhost",
            "PLATFORM_SMTP_PORT": str(self.platform.port),
            "PLATFORM_SMTP_TLS_MODE": "starttls",
            "PLATFORM_SMTP_USERNAME": SMTP_USERNAME,
            "PLATFORM_SMTP_PASSWORD": SMTP_PASSWORD,
            "PLATFORM_EMAIL_DOMAIN": "mail.bench.test",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "STATIC_MANIFEST": "false",
            "ALLOWED_HOSTS": ".localhost",
            **(env or {}),
        }
        os.environ.update(self.env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cymmetri.settings")

    def setup_database(self) -> None:
        """A fresh database, migrated, with the public tenant."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate_schemas", verbosity=0)
        from tenants.models import Domain, Tenant

        public = Tenant.objects.create(schema_name="public", display_name="Bench platform")
        Domain.objects.create(domain="localhost", tenant=public, is_primary=True)

    def tenant(self, name: str, *, sink: Sink | None = None, **config):
        """A tenant (with its schema and admin); with ``sink``, its own SMTP points there."""
        from django_tenants.utils import tenant_context

        from smtp_integration.services import smtp_config_save
        from tenants.services import tenant_create

        created = tenant_create(
            organisation_name="Bench",
            schema_name=name,
            domain=f"{name}.localhost",
            display_name=name.title(),
            admin_email=f"admin@{name}.test",
            admin_password="bench-pass-123",
        )
        if sink is not None:
            with tenant_context(created.tenant):
                from django.contrib.auth import get_user_model

                smtp_config_save(
                    actor=get_user_model().objects.get(),
                    data={
                        "host": "localhost",
                        "port": sink.port,
                        "tls_mode": "starttls",
                        "username": SMTP_USERNAME,
                        "password": SMTP_PASSWORD,
                        "from_address": f"noreply@{name}.test",
                        "from_name": name.title(),
                        "reply_to": "",
                        **config,
                    },
                )
        return created.tenant

    def start_workers(self, processes: int = 1, **env) -> list[subprocess.Popen]:
        """Worker processes as shipped; ``env`` may override settings (to compare others)."""
        from cymmetri.celery import app

        started = [
            self._celery(["worker", "-l", "WARNING", "-Q", QUEUE, "-n", f"bench{n}@%h"], env)
            for n in range(len(self.workers), len(self.workers) + processes)
        ]
        self.workers += started
        names = {f"bench{n}@{os.uname().nodename}" for n in range(len(self.workers))}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                answered = {name for reply in app.control.ping(timeout=0.5) for name in reply}
            except Exception:  # noqa: S112  a pooled broker connection went stale
                continue
            if names <= answered:
                return started
        raise TimeoutError("the workers did not answer within 60 s")

    def start_beat(self, **env) -> subprocess.Popen:
        schedule = Path(tempfile.mkdtemp(prefix="bench-beat-")) / "schedule"
        self.beat = self._celery(["beat", "-l", "WARNING", "-s", str(schedule)], env)
        return self.beat

    def _celery(self, args: list[str], env: dict) -> subprocess.Popen:
        return subprocess.Popen(
            guarded([sys.executable, "-m", "celery", "-A", "cymmetri", *args]),
            cwd=ROOT,
            env={**os.environ, **self.env, **env},
        )

    def stop_workers(self) -> None:
        for process in [*self.workers, *([self.beat] if self.beat else [])]:
            process.terminate()
        for process in [*self.workers, *([self.beat] if self.beat else [])]:
            process.wait()
        self.workers, self.beat = [], None

    def stop(self) -> None:
        self.stop_workers()
        for sink in [self.platform, *self.sinks]:
            sink.stop()
        self.redis.cleanup()


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process and its waited-for children have used."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]
