"""Configuration classes. Every upper-case setting can be overridden by an environment variable
of the same name; DATABASE_URL sets SQLALCHEMY_DATABASE_URI."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.serialization import pkcs12

from core.files import write_once

ROOT = Path(__file__).resolve().parent
INSTANCE = ROOT / "instance"

# The key every copy of the code used to ship with: public, so never used (issue 12 L5).
DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key-change-me"


def normalise_database_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    # Signs sessions and CSRF tokens. Unset (outside production): a random key made on the first
    # run and kept in SECRET_KEY_FILE (default instance/secret_key, mode 0600). Production refuses
    # to start without one, since every host must share it.
    SECRET_KEY = ""
    SECRET_KEY_FILE = ""
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE / 'iiom.sqlite3'}"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    BASE_URL = "http://127.0.0.1:5000"
    TIMEZONE = "Asia/Shanghai"
    UPLOAD_FOLDER = str(INSTANCE / "uploads")
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    LANGUAGES = ("zh_Hans_CN", "en")

    WTF_CSRF_TIME_LIMIT = 8 * 3600  # a whole exam day on one page
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = 12 * 3600

    # Sign-in throttle (core/throttle.py): failed sign-ins allowed before each further one waits
    # LOGIN_BACKOFF seconds, doubling up to LOGIN_BACKOFF_MAX; a quiet LOGIN_THROTTLE_WINDOW starts
    # afresh. Counted per account from one address (the pair), per account from everywhere (not for
    # addresses in HALL_NETWORKS, so that nobody outside can hold a hall's accounts), and per address
    # (higher for the hall networks, where a whole room signs in behind one NAT).
    LOGIN_THROTTLE_WINDOW = 15 * 60
    LOGIN_THROTTLE_PER_PAIR = 5
    LOGIN_THROTTLE_PER_ACCOUNT = 20
    LOGIN_THROTTLE_PER_ADDRESS = 30
    LOGIN_THROTTLE_PER_HALL_ADDRESS = 600
    LOGIN_BACKOFF = 30
    LOGIN_BACKOFF_MAX = 15 * 60
    HALL_NETWORKS: tuple = ()  # CIDR list, e.g. "10.20.0.0/16,192.168.5.0/24"
    # Wrong exam access codes a candidate may type before each further try waits (doubling from 30 s).
    ACCESS_CODE_TRIES = 5
    # Append-only rows one attempt may write: answer events (each applied save) and integrity
    # events (focus, visibility, network). Far above any real exam; they stop a flood.
    MAX_ANSWER_EVENTS = 20_000
    MAX_INTEGRITY_EVENTS = 2_000
    # SQLite's durability: FULL syncs every commit, so an acknowledged save survives a power cut;
    # NORMAL is faster and survives a killed process, not a power cut (EXTRA: more than FULL).
    SQLITE_SYNCHRONOUS = "FULL"
    # A hall with a synchronized start opens its waiting room this many minutes before the start.
    EXAM_WAITING_ROOM_MINUTES = 30
    # Staff passwords (every role but candidate) are at least this long.
    PASSWORD_MIN_LENGTH_STAFF = 12
    # Remembered sign-ins ("keep me signed in") last this long; candidates are never remembered.
    REMEMBER_COOKIE_DURATION = 7 * 24 * 3600
    PASSWORD_MIN_LENGTH = 8
    PASSWORD_HASH_METHOD = "scrypt"
    # For passwords the platform draws (72 random bits, changed at the first sign-in): see
    # accounts.services.hash_password.
    RANDOM_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"

    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    TRUSTED_PROXIES = 0
    # Strict-Transport-Security on responses over HTTPS (seconds; 0: none). Production: a year.
    HSTS_MAX_AGE = 0
    PAGE_SIZE = 50
    # E-mail: notifications go to an outbox table; with MAIL_SERVER set, a job sends them by SMTP.
    MAIL_SERVER = ""
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_FROM = "noreply@localhost"
    # The largest photo accepted on a registration form.
    PHOTO_MAX_BYTES = 2 * 1024 * 1024
    # Certificates: the key that signs QR tokens (empty: SECRET_KEY) and the Ed25519 key (a PEM
    # file shared by every host) that signs the offline JSON documents.
    CERT_TOKEN_KEY = ""
    CERT_SIGNING_KEY_FILE = ""
    # The certificate PDF's PAdES signature (certificates/pades.py): the issuer's PKCS#12 file (key and
    # certificate, from a CA the readers trust) and its password. Unset outside production: a
    # self-issued one is made once in instance/cert-signing-pdf.p12. Production never makes one: it
    # refuses to sign a certificate without the file, and to start when the file is set but cannot be
    # opened with the password.
    CERTIFICATE_PKCS12 = ""
    CERTIFICATE_PKCS12_PASSWORD = ""
    # The seal printed over the issue date: empty draws a round red seal from the issuer's name; a PNG
    # path (a scan, transparent around the seal) prints that instead.
    CERTIFICATE_SEAL_IMAGE = ""
    # The last of the holder's notes: empty prints the national query reference (seed 002 2.4) in
    # both languages; set, this text is printed instead, as written.
    CERTIFICATE_QUERY_NOTE = ""
    # The public lookup by number and name (core/throttle.py, fixed windows): lookups allowed per
    # client address (IPv6 by its /64) and per certificate number from all addresses together, per
    # CERT_LOOKUP_WINDOW seconds. Numbers are sequential, so the per-number limit is what bounds
    # guesses of one holder's name from many addresses.
    CERT_LOOKUP_PER_ADDRESS = 10
    CERT_LOOKUP_PER_NUMBER = 10
    CERT_LOOKUP_WINDOW = 10 * 60
    # Objections during the publicity: the answer is due this many working days after filing;
    # anyone (not signed in) files at most OBJECTIONS_PER_ADDRESS a day from one address.
    OBJECTION_ANSWER_DAYS = 5
    OBJECTIONS_PER_ADDRESS = 5
    # Verifications (QR scans and lookups) logged per client address per VERIFY_LOG_WINDOW seconds;
    # past it the page still answers but writes no row, so anonymous requests cannot flood the table.
    VERIFY_LOG_PER_ADDRESS = 60
    VERIFY_LOG_WINDOW = 60 * 60
    # The verify page's log rows are written by a background thread this often (certificates/
    # verifylog.py); 0 writes each in its request (the tests).
    VERIFY_LOG_FLUSH_SECONDS = 1.0
    # Employers (certificates/employers): an API key's default allowance (requests per minute or per
    # hour; the administrator sets each key's own when issuing it), wrong keys allowed per client
    # address per API_KEY_FAILURE_WINDOW seconds before every request from it waits, and the Excel
    # check's bounds: the file's size, its rows (a larger sheet is refused, naming the limit), and
    # the rows one account may check per day.
    API_KEY_RATE = 60
    API_KEY_RATE_PERIOD = "minute"
    API_KEY_FAILURES_PER_ADDRESS = 20
    API_KEY_FAILURE_WINDOW = 10 * 60
    EMPLOYER_CHECK_MAX_BYTES = 5 * 1024 * 1024
    EMPLOYER_CHECK_MAX_ROWS = 5000
    EMPLOYER_CHECK_ROWS_PER_DAY = 20000
    # How long one run of the batch-issuing job may work (it runs every 10 s and resumes).
    CERT_BATCH_SECONDS = 8.0
    # The staff group's teaching video; larger ones are given as a link.
    VIDEO_MAX_BYTES = 300 * 1024 * 1024
    # A question-bank coverage cell (module × level × type) with fewer active questions is "thin".
    QUESTION_BANK_THIN_CELL = 5
    DEMO_DATA_ALLOWED = True
    DEMO_PASSWORD = ""  # empty: each demo account gets a random password, printed once

    @classmethod
    def from_env(cls) -> dict:
        """The class's settings with environment overrides applied, as a plain dict."""
        settings = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        for key, default in settings.items():
            raw = os.environ.get(key)
            if raw is None:
                continue
            settings[key] = _coerce(raw, default)
        if os.environ.get("DATABASE_URL"):
            settings["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
        settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
            settings["SQLALCHEMY_DATABASE_URI"]
        )
        return settings

    @classmethod
    def load(cls, overrides: dict | None = None, *, instance_path: str | Path = INSTANCE) -> dict:
        """The settings to run with: the environment's, then `overrides`, then a secret key if
        none was given (`secret_key`); refused by `check` if they must not run."""
        settings = cls.from_env()
        settings.update(overrides or {})
        if settings.get("SECRET_KEY", "") in ("", DEFAULT_SECRET_KEY):
            settings["SECRET_KEY"] = cls.secret_key(settings, instance_path)
        cls.check(settings)
        return settings

    @staticmethod
    def secret_key(settings: dict, instance_path: str | Path) -> str:
        """The key kept in SECRET_KEY_FILE (default instance/secret_key), made on the first run."""
        path = Path(settings.get("SECRET_KEY_FILE") or Path(instance_path) / "secret_key")
        return instance_secret_key(path)

    @staticmethod
    def check(settings: dict) -> None:
        """Refuse settings that must not run; overridden by ProductionConfig."""


def instance_secret_key(path: Path) -> str:
    """A random key kept in `path` (mode 0600), made if the file does not exist. Two processes
    starting at once (the web server and the scheduler) agree: the key is written to a file of
    its own and linked into place, which only one of them can do."""
    if not path.exists():
        write_once(path, (secrets.token_hex(32) + "\n").encode())
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} does not hold a secret key (32 or more characters): delete it to make a new one.")
    return key


def _coerce(raw: str, default):
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


class DevelopmentConfig(Config):
    DEBUG = False  # `flask run --debug` turns the debugger on explicitly


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    BASE_URL = "http://localhost"
    UPLOAD_FOLDER = str(INSTANCE / "test-uploads")
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing keeps the suite quick
    VERIFY_LOG_FLUSH_SECONDS = 0  # each verification written in its request (tests that batch set it)


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS_MAX_AGE = 365 * 24 * 3600
    DEMO_DATA_ALLOWED = False

    @staticmethod
    def secret_key(settings: dict, instance_path: str | Path) -> str:
        return ""  # never made here: every host must share one key, so `check` refuses instead

    @staticmethod
    def check(settings: dict) -> None:
        key = settings.get("SECRET_KEY") or ""
        if key == DEFAULT_SECRET_KEY or len(key) < 32:
            raise RuntimeError(
                "ProductionConfig refuses to start: set SECRET_KEY to a random value of at "
                "least 32 characters (python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        if not os.environ.get("BASE_URL") and settings.get("BASE_URL") == Config.BASE_URL:
            raise RuntimeError(
                "ProductionConfig refuses to start: set BASE_URL to the platform's public address "
                "(https://exam.example.cn): it is printed in every certificate's QR code, and a QR code "
                "pointing elsewhere makes a genuine certificate read as not found."
            )
        pkcs12_path = settings.get("CERTIFICATE_PKCS12") or ""
        if pkcs12_path:
            problem = pkcs12_problem(Path(pkcs12_path), settings.get("CERTIFICATE_PKCS12_PASSWORD") or "")
            if problem:
                raise RuntimeError(
                    f"ProductionConfig refuses to start: CERTIFICATE_PKCS12 ({pkcs12_path}) {problem}; it signs "
                    "every certificate PDF (set CERTIFICATE_PKCS12_PASSWORD to its password).")


def pkcs12_problem(path: Path, password: str) -> str:
    """Why the PKCS#12 file at `path` cannot sign, or "" when it holds a key and its certificate."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    try:
        key, certificate, _ = pkcs12.load_key_and_certificates(data, password.encode() or None)
    except Exception:  # noqa: BLE001 (a wrong password and a file that is no PKCS#12 raise alike)
        return "cannot be opened: a wrong password, or not a PKCS#12 file"
    if key is None or certificate is None:
        return "holds no private key with its certificate"
    return ""


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestConfig,
    "production": ProductionConfig,
}
