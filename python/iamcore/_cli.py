"""The ``iamcore`` command line: ``python -m iamcore`` (or the ``iamcore`` script).

    iamcore token --auth-type iam --apikey-env IBMCLOUD_API_KEY
    iamcore token --service my-service --json
    iamcore rds-token --hostname HOST --port 5432 --username app_user
    iamcore dsql-token --hostname HOST --admin
    iamcore emulator --print-env

The Node command line (node/cli.js) is the same program: same commands, options,
messages, output and exit codes (tests/python/test_cli.py runs both and compares).
Change one, change the other. The user guide is docs/cli.md.

Secrets come only from environment variables or files: no option takes one as
its value, and no message repeats an argument's value (only option names).
"""

import base64
import datetime
import errno
import json
import os
import re
import sys
import threading

import iamcore

EXIT_OK = 0
EXIT_FAILURE = 1  # anything unexpected
EXIT_USAGE = 2
# iamcore.Error.code -> (exit status, the label of the stderr line)
ERROR_KINDS = {
    "config": (3, "configuration error"),
    "auth": (4, "authentication error"),
    "transport": (5, "transport error"),
    "timeout": (6, "timeout"),
    "tls": (7, "TLS error"),
    "parse": (8, "parse error"),
    "token_file": (9, "token file error"),
}
EXIT_INTERRUPTED = 130

HELP = """\
usage: iamcore <command> [options]

IBM Cloud IAM access tokens and AWS database auth tokens on the command line.

commands:
  token        print an IBM Cloud IAM access token
  rds-token    print an Amazon RDS / Aurora IAM auth token (as aws rds generate-db-auth-token)
  dsql-token   print an Aurora DSQL auth token
  emulator     run the local IAM and AWS emulator for offline tests (needs Python 3)

options:
  -h, --help   show this help; 'iamcore <command> --help' shows a command's options
  --version    print the version

Secrets are read from environment variables or files, never from options.
Errors are one line on standard error.

exit status:
  0  success
  1  unexpected failure
  2  usage error: unknown option, missing or malformed value
  3  configuration error: missing variable or file, no AWS credentials or region
  4  authentication error: the token service refused the credentials
  5  transport error: no connection, connection broken, proxy failure
  6  timeout
  7  TLS error: certificate not trusted, handshake failed
  8  parse error: the token service's answer could not be understood
  9  token file error: the compute-resource token file is missing, empty or unreadable
"""

TOKEN_HELP = """\
usage: iamcore token --service NAME [--json]
       iamcore token [--auth-type iam] (--apikey-env VAR | --apikey-file PATH) [options]
       iamcore token [--auth-type container] --profile-name NAME [--cr-token-file PATH] [options]

Print an IBM Cloud IAM access token on standard output.

from the environment configuration of a service (credentials file, environment
variables <SERVICE>_AUTH_TYPE, <SERVICE>_APIKEY, ..., VCAP_SERVICES):
  --service NAME             the service name, e.g. my-service (MY_SERVICE_...)

or from options:
  --auth-type TYPE           iam or container; by default iam with an API key
                             option, container with a profile option
  --apikey-env VAR           read the API key from environment variable VAR
  --apikey-file PATH         read the API key from a file: the key alone, or the
                             apikey.json the IBM Cloud console downloads
  --profile-name NAME        trusted profile name (container)
  --profile-id ID            trusted profile ID (container)
  --profile-crn CRN          trusted profile CRN (container)
  --cr-token-file PATH       compute-resource token file (container); default:
                             the paths Kubernetes and Code Engine mount
  --url URL                  IAM base URL [https://iam.cloud.ibm.com]
  --ca-file PATH             PEM bundle to trust instead of the system's CAs
  --timeout SECONDS          total time of the request, retries included [30]
  --connect-timeout SECONDS  time of one connection attempt [5]
  --max-retries N            retries on connection errors, 429 and 5xx, 0..100 [3]

output:
  --json                     print {"token","expires_at","type"} as one JSON line
  -h, --help                 show this help
"""

RDS_HELP = """\
usage: iamcore rds-token --hostname HOST --port PORT --username USER [--region REGION]
                         [--profile NAME] [--json]

Print an Amazon RDS / Aurora IAM auth token, the database password, as
'aws rds generate-db-auth-token' does. AWS credentials come from the usual chain:
environment, web identity, shared config and credentials files (credential_process
included), container endpoint, EC2 instance metadata.

  --hostname HOST    the DB endpoint, without scheme or port
  --port PORT        the DB port, 1..65535
  --username USER    the database user
  --region REGION    default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region,
                     else the region in an RDS host name
  --profile NAME     the AWS profile for credentials and region (environment
                     credentials are then not used)
  --json             print {"token","expires_at","type"} as one JSON line
  -h, --help         show this help
"""

DSQL_HELP = """\
usage: iamcore dsql-token --hostname HOST [--region REGION] [--admin] [--expires-in SECONDS]
                          [--profile NAME] [--json]

Print an Aurora DSQL auth token, the database password, as
'aws dsql generate-db-connect-auth-token' (or, with --admin,
generate-db-connect-admin-auth-token) does. AWS credentials as for rds-token.

  --hostname HOST        the cluster endpoint, e.g. <id>.dsql.us-east-1.on.aws
  --region REGION        default: AWS_REGION, AWS_DEFAULT_REGION, the profile's
                         region, else the region in the host name
  --admin                a token for the admin role (DbConnectAdmin)
  --expires-in SECONDS   token lifetime, 1..604800 [900]
  --profile NAME         the AWS profile for credentials and region
  --json                 print {"token","expires_at","type"} as one JSON line
  -h, --help             show this help
"""

# Per command: option name -> (key, check). Order matters: conflicts name the first
# offending option in this order. Checks: text (non-empty), flag, and those of CHECKS.
TOKEN_OPTIONS = {
    "--service": ("service", "text"),
    "--auth-type": ("auth_type", "auth_type"),
    "--apikey-env": ("apikey_env", "text"),
    "--apikey-file": ("apikey_file", "text"),
    "--profile-name": ("profile_name", "text"),
    "--profile-id": ("profile_id", "text"),
    "--profile-crn": ("profile_crn", "text"),
    "--cr-token-file": ("cr_token_file", "text"),
    "--url": ("url", "text"),
    "--ca-file": ("ca_file", "text"),
    "--timeout": ("timeout", "seconds"),
    "--connect-timeout": ("connect_timeout", "seconds"),
    "--max-retries": ("max_retries", "retries"),
    "--json": ("json", "flag"),
}
RDS_OPTIONS = {
    "--hostname": ("hostname", "text"),
    "--port": ("port", "port"),
    "--username": ("username", "text"),
    "--region": ("region", "text"),
    "--profile": ("profile", "text"),
    "--json": ("json", "flag"),
}
DSQL_OPTIONS = {
    "--hostname": ("hostname", "text"),
    "--region": ("region", "text"),
    "--admin": ("admin", "flag"),
    "--expires-in": ("expires_in", "expires"),
    "--profile": ("profile", "text"),
    "--json": ("json", "flag"),
}
APIKEY_OPTIONS = ("--apikey-env", "--apikey-file")
CONTAINER_OPTIONS = ("--profile-name", "--profile-id", "--profile-crn", "--cr-token-file")
PROFILE_OPTIONS = CONTAINER_OPTIONS[:3]
# Options that look like a secret's: refused with a pointer to the right ones.
SECRET_OPTIONS = ("--apikey", "--api-key")

WHOLE = re.compile(r"[0-9]{1,7}")
SECONDS = re.compile(r"[0-9]{1,5}(\.[0-9]{1,3})?")
BLANKS = " \t\r\n"  # stripped around an API key read from a file
OPTION_NAME = re.compile(r"--?[A-Za-z0-9][A-Za-z0-9-]{0,39}")


class UsageError(Exception):
    pass


def _whole(name, text, low, high):
    if WHOLE.fullmatch(text) and low <= int(text) <= high:
        return int(text)
    raise UsageError("%s must be a whole number from %d to %d" % (name, low, high))


def _check(name, check, text):
    """The option's value, checked; never quoted in a message."""
    if text == "":
        raise UsageError("option %s must not be empty" % name)
    if check == "text":
        return text
    if check == "auth_type":
        if text.lower() not in ("iam", "container"):
            raise UsageError("%s must be iam or container" % name)
        return text.lower()
    if check == "seconds":
        if SECONDS.fullmatch(text) and 0.001 <= float(text) <= 86400:
            return float(text)
        raise UsageError("%s must be a number of seconds from 0.001 to 86400" % name)
    if check == "retries":
        return _whole(name, text, 0, 100)
    if check == "port":
        return _whole(name, text, 1, 65535)
    if check == "expires":
        return _whole(name, text, 1, 604800)
    raise AssertionError(check)


def _option_shown(arg):
    """An unknown option's name for a message: the part before '=', if it looks like one."""
    name = arg.split("=", 1)[0]
    return " " + name if OPTION_NAME.fullmatch(name) else ""


def parse_options(args, spec):
    """`--name value`, `--name=value` and flags -> {key: value}; raises UsageError."""
    values = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-"):
            raise UsageError("unexpected argument (options start with --)")
        name, has_value, value = arg.partition("=")
        if name not in spec:
            if name in SECRET_OPTIONS:
                raise UsageError("option %s does not exist: secrets are never option values; "
                                 "use --apikey-env VAR or --apikey-file PATH" % name)
            raise UsageError("unknown option%s" % _option_shown(arg))
        key, check = spec[name]
        if key in values:
            raise UsageError("option %s given twice" % name)
        if check == "flag":
            if has_value:
                raise UsageError("option %s takes no value" % name)
            values[key] = True
            continue
        if not has_value:
            if i >= len(args) or args[i].startswith("--"):
                raise UsageError("option %s needs a value" % name)
            value = args[i]
            i += 1
        values[key] = _check(name, check, value)
    return values


def _given(options, spec, names):
    return [name for name in names if spec[name][0] in options]


def token_kind(options):
    """Check the token options' combination; return "service", "iam" or "container"."""
    spec = TOKEN_OPTIONS
    if "service" in options:
        others = [name for name in spec
                  if spec[name][0] in options and name not in ("--service", "--json")]
        if others:
            raise UsageError("--service takes everything from the environment configuration; "
                             "it cannot be combined with %s" % others[0])
        return "service"
    apikey = _given(options, spec, APIKEY_OPTIONS)
    container = _given(options, spec, CONTAINER_OPTIONS)
    if len(apikey) > 1:
        raise UsageError("give only one of --apikey-env and --apikey-file")
    kind = options.get("auth_type")
    if kind is None:
        if apikey and container:
            raise UsageError("%s (iam) and %s (container) exclude each other"
                             % (apikey[0], container[0]))
        if not apikey and not container:
            raise UsageError("token needs --service NAME, an API key (--apikey-env VAR or "
                             "--apikey-file PATH) or a trusted profile (--profile-name, "
                             "--profile-id or --profile-crn)")
        kind = "iam" if apikey else "container"
    if kind == "iam":
        if container:
            raise UsageError("%s is for --auth-type container" % container[0])
        if not apikey:
            raise UsageError("--auth-type iam needs --apikey-env VAR or --apikey-file PATH")
    else:
        if apikey:
            raise UsageError("%s is for --auth-type iam" % apikey[0])
        if not _given(options, spec, PROFILE_OPTIONS):
            raise UsageError("--auth-type container needs --profile-name, --profile-id or "
                             "--profile-crn")
    return kind


def require(options, spec, names):
    for name in names:
        if spec[name][0] not in options:
            raise UsageError("missing option %s" % name)


# ----------------------------------------------------------------------- secrets

def config_error(message):
    return iamcore.ConfigError(message)


def apikey_from_env(name, environ):
    value = environ.get(name, "")
    if not value:
        raise config_error("environment variable %s (--apikey-env) is not set or is empty" % name)
    return value


def apikey_from_file(path):
    """The key alone, or IBM's apikey.json ({"apikey": ...}); surrounding white space dropped."""
    try:
        with open(path, "rb") as f:
            data = f.read(1 << 20)
    except OSError as e:
        name = errno.errorcode.get(e.errno, "error %s" % e.errno)
        raise config_error("cannot read the API key file %s (%s)" % (path, name)) from None
    try:
        text = data.decode("utf-8-sig").strip(BLANKS)
    except UnicodeDecodeError:
        raise config_error("the API key file %s is not UTF-8 text" % path) from None
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        key = value.get("apikey") if isinstance(value, dict) else None
        if not isinstance(key, str) or not key.strip(BLANKS):
            raise config_error('the API key file %s is JSON without an "apikey" string' % path)
        text = key.strip(BLANKS)
    if not text:
        raise config_error("the API key file %s is empty" % path)
    return text


# ----------------------------------------------------------------------- output

def rfc3339(epoch):
    """Epoch seconds -> 2026-01-01T12:00:00Z, or None when out of range."""
    if isinstance(epoch, bool) or not isinstance(epoch, (int, float)):
        return None
    if not 0 <= epoch < 253402300800:  # year 10000
        return None
    moment = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def jwt_expiry(token):
    """The `exp` claim of a JWT-shaped token, or None (opaque token, no claim)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload.decode("utf-8"))
    except ValueError:
        return None
    return rfc3339(claims.get("exp")) if isinstance(claims, dict) else None


def presigned_expiry(token):
    """X-Amz-Date + X-Amz-Expires of a presigned token, or None."""
    from urllib.parse import parse_qs

    query = parse_qs(token.partition("?")[2])
    date, expires = query.get("X-Amz-Date", [""])[0], query.get("X-Amz-Expires", [""])[0]
    try:
        signed = datetime.datetime.strptime(date, "%Y%m%dT%H%M%SZ")
    except ValueError:
        return None
    if not WHOLE.fullmatch(expires):
        return None
    signed = signed.replace(tzinfo=datetime.timezone.utc)
    return rfc3339(signed.timestamp() + int(expires))


def emit(out, token, expires_at, kind, as_json):
    if as_json:
        value = {"token": token, "expires_at": expires_at, "type": kind}
        out.write(json.dumps(value, separators=(",", ":"), ensure_ascii=False) + "\n")
    else:
        out.write(token + "\n")
    out.flush()


# ----------------------------------------------------------------------- commands

class _Call(threading.Thread):
    """A blocking library call (network I/O) on a daemon thread: the main thread waits in
    an interruptible join, so Ctrl-C ends the program at once rather than after the
    request's timeout."""

    def __init__(self, fn, args, kwargs):
        super().__init__(name="iamcore-cli-call", daemon=True)
        self.fn, self.args_, self.kwargs_ = fn, args, kwargs
        self.value = self.error = None

    def run(self):
        try:
            self.value = self.fn(*self.args_, **self.kwargs_)
        except BaseException as e:  # handed to the main thread
            self.error = e


def blocking(fn, *args, **kwargs):
    call = _Call(fn, args, kwargs)
    call.start()
    call.join()
    if call.error is not None:
        raise call.error
    return call.value


def _calls_running():
    return any(t.name == "iamcore-cli-call" and t.is_alive() for t in threading.enumerate())


def cmd_token(options, environ, out):
    kind = token_kind(options)
    if kind == "service":
        name = options["service"]
        auth = iamcore.get_authenticator_from_environment(name)
        if not callable(getattr(auth, "token", None)):
            raise config_error("service %s is configured for the %s authenticator, which has no "
                               "access token" % (name, auth.authentication_type()))
    else:
        common = {"url": options.get("url"), "ca_file": options.get("ca_file"),
                  "timeout": options.get("timeout"),
                  "connect_timeout": options.get("connect_timeout"),
                  "max_retries": options.get("max_retries")}
        if kind == "iam":
            if "apikey_env" in options:
                apikey = apikey_from_env(options["apikey_env"], environ)
            else:
                apikey = apikey_from_file(options["apikey_file"])
            auth = iamcore.IAMAuthenticator(apikey, **common)
            del apikey
        else:
            auth = iamcore.ContainerAuthenticator(
                iam_profile_name=options.get("profile_name"),
                iam_profile_id=options.get("profile_id"),
                iam_profile_crn=options.get("profile_crn"),
                cr_token_filename=options.get("cr_token_file"), **common)
    token = blocking(auth.token)
    emit(out, token, jwt_expiry(token), auth.authentication_type(), options.get("json", False))


def check_rds_token(options):
    require(options, RDS_OPTIONS, ("--hostname", "--port", "--username"))


def cmd_rds_token(options, environ, out):
    token = blocking(iamcore.generate_db_auth_token, options["hostname"], options["port"],
                     options["username"], options.get("region"), profile=options.get("profile"))
    emit(out, token, presigned_expiry(token), "rds", options.get("json", False))


def check_dsql_token(options):
    require(options, DSQL_OPTIONS, ("--hostname",))


def cmd_dsql_token(options, environ, out):
    extra = {"expires_in": options["expires_in"]} if "expires_in" in options else {}
    token = blocking(iamcore.generate_dsql_auth_token, options["hostname"],
                     options.get("region"), admin=options.get("admin", False),
                     profile=options.get("profile"), **extra)
    emit(out, token, presigned_expiry(token), "dsql", options.get("json", False))


def cmd_emulator(args):
    from .emulator import iam_emulator

    try:
        return iam_emulator.main(args, prog="iamcore emulator")
    except SystemExit as e:  # argparse: --help, usage errors
        return e.code if isinstance(e.code, int) else EXIT_FAILURE


# command -> (options, help, check of the options' combination, run)
COMMANDS = {
    "token": (TOKEN_OPTIONS, TOKEN_HELP, token_kind, cmd_token),
    "rds-token": (RDS_OPTIONS, RDS_HELP, check_rds_token, cmd_rds_token),
    "dsql-token": (DSQL_OPTIONS, DSQL_HELP, check_dsql_token, cmd_dsql_token),
}


def one_line(text):
    return " ".join(str(text).split())


def _discard(stream):
    """Point a stream whose reader is gone at /dev/null, so that flushing it at exit
    raises nothing more."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, stream.fileno())
        os.close(null)
    except (AttributeError, OSError, ValueError):
        pass


def main(argv=None, environ=None, out=None, err=None):
    """Run the command line; return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    environ = os.environ if environ is None else environ
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    command = argv[0] if argv else None
    try:
        if command in ("-h", "--help"):
            out.write(HELP)
            return EXIT_OK
        if command == "--version":
            out.write("iamcore %s\n" % iamcore.__version__)
            return EXIT_OK
        if command == "emulator":
            return cmd_emulator(argv[1:])
        if command is None:
            raise UsageError("no command given (token, rds-token, dsql-token or emulator)")
        if command not in COMMANDS:
            if command.startswith("-"):
                raise UsageError("unknown option%s" % _option_shown(command))
            raise UsageError("unknown command (token, rds-token, dsql-token or emulator)")
        spec, text, check, run = COMMANDS[command]
        args = argv[1:]
        if "-h" in args or "--help" in args:
            out.write(text)
            return EXIT_OK
        options = parse_options(args, spec)
        check(options)
        run(options, environ, out)
        return EXIT_OK
    except UsageError as e:
        where = "iamcore %s --help" % command if command in COMMANDS else "iamcore --help"
        err.write("iamcore: usage error: %s; see '%s'\n" % (one_line(e), where))
        return EXIT_USAGE
    except KeyboardInterrupt:
        err.write("iamcore: interrupted\n")
        err.flush()
        if _calls_running():
            # A request is still in flight on its thread: end now, without the
            # interpreter's and the C core's exit handlers racing with it.
            os._exit(EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`iamcore ... | head -c0`): nothing to say
        _discard(out)
        return EXIT_FAILURE
    except iamcore.Error as e:
        status, label = ERROR_KINDS.get(e.code, (EXIT_FAILURE, "error"))
        err.write("iamcore: %s: %s\n" % (label, one_line(e)))
        return status
