"""The code blocks of the docs, run as tests straight from the markdown.

Every fenced code block of a doc has a marker on the line just before it (an HTML
comment, invisible where the markdown is rendered):

    <!-- snippet: ID -->              a test runs this block
    <!-- snippet: ID before|after --> one half of a pair (another library's code, then
                                      iamcore's: docs/migration.md); the "after" half
                                      needs a test, the "before" one may be run by it
    <!-- not run: REASON -->          the block cannot run here by nature (an install
                                      command, a type signature, ...)

IDs are lower-case letters, digits and '-'. JavaScript blocks (js, mjs, ts) belong to the
Node tests (tests/node/helpers/doc-snippets.js, the same rules), every other block to the
Python tests. A test module declares its docs and registers one test per snippet:

    ADAPTERS = Doc("docs/adapters.md")

    @ADAPTERS.runs("py-requests")
    def test_requests(emulator):
        ns = run_python(ADAPTERS.block("py-requests"), names={"apikey": "k", "url": url})

and one check per doc, which fails on a block without a marker, a snippet without a test
or a test whose snippet is gone: ``assert not doc.problems("python")``.

Snippets are run with their free names (``apikey``, ``host``, ...) filled in by the test.
``modules`` stands in for what a snippet imports (a driver that cannot be installed, or
iamcore with its platform defaults pointed at the emulator: :func:`iamcore_with_defaults`).
"""

import ast
import asyncio
import builtins
import importlib
import inspect
import os
import re
import shutil
import subprocess
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
JS_LANGS = frozenset({"js", "javascript", "mjs", "cjs", "ts"})

MARKER = re.compile(
    r"<!-- (?:snippet: (?P<id>[a-z0-9][a-z0-9-]*)(?: (?P<role>before|after))?"
    r"|not run: (?P<reason>\S.*?)) -->"
)
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[^\s`]*)")


class Block:
    """One fenced code block: where it is, its language, its code and its marker."""

    def __init__(self, doc, line, lang, code, marker):
        self.doc = doc            # "docs/x.md"
        self.line = line          # 1-based line of the opening fence
        self.lang = lang          # "" when the fence names none
        self.code = code
        self.id = marker["id"] if marker else None
        self.role = marker["role"] if marker else None
        self.reason = marker["reason"] if marker else None
        self.marked = marker is not None

    @property
    def where(self):
        name = self.id + (" " + self.role if self.role else "") if self.id else "block"
        return f"{self.doc}:{self.line} [{name}]"

    def runner(self):
        return "node" if self.lang in JS_LANGS else "python"


def parse(relpath, text):
    """The fenced code blocks of a markdown text, in order."""
    blocks = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        body = []
        j = i + 1
        while j < len(lines) and not re.fullmatch(r"[ \t]*" + re.escape(fence[0]) + "{%d,}[ \t]*" % len(fence), lines[j]):
            body.append(lines[j][indent:] if lines[j][:indent].strip() == "" else lines[j])
            j += 1
        marker = MARKER.fullmatch(lines[i - 1].strip()) if i > 0 else None
        blocks.append(Block(relpath, i + 1, opening["lang"], "\n".join(body), marker))
        i = j + 1
    return blocks


class Doc:
    """A doc whose code blocks are tests; :meth:`runs` registers the test of a snippet."""

    def __init__(self, relpath, text=None):
        self.relpath = relpath
        if text is None:
            text = (ROOT / relpath).read_text(encoding="utf-8")
        self.blocks = parse(relpath, text)
        self.tests = {}  # snippet id -> name of the test that runs it

    def snippets(self):
        return {(b.id, b.role): b for b in self.blocks if b.id}

    def block(self, snippet_id, role=None):
        try:
            return self.snippets()[(snippet_id, role)]
        except KeyError:
            raise KeyError(f"{self.relpath} has no snippet {snippet_id!r}" + (f" {role}" if role else "")) from None

    def code(self, snippet_id, role=None):
        return self.block(snippet_id, role).code

    def runs(self, snippet_id):
        """Decorator: the test runs snippet `snippet_id` (its "after" half for a pair)."""
        def register(function):
            if snippet_id in self.tests:
                raise ValueError(f"two tests run {self.relpath} snippet {snippet_id}")
            self.tests[snippet_id] = function.__name__
            return function
        return register

    def problems(self, runner):
        """What is wrong with the markers, for the tests of `runner` ("python" or "node")."""
        found = []
        seen = {}
        for b in self.blocks:
            if not b.marked:
                found.append(f"{b.where}: a ```{b.lang} block without a <!-- snippet: ID --> "
                             f"or <!-- not run: REASON --> marker on the line before it")
            elif b.id:
                key = (b.id, b.role)
                if key in seen:
                    found.append(f"{b.where}: snippet id used twice (also line {seen[key]})")
                seen[key] = b.line
        for snippet_id, role in seen:
            if role and (snippet_id, "before" if role == "after" else "after") not in seen:
                found.append(f"{self.relpath}: snippet {snippet_id} has only its {role} half")
        ids = {snippet_id for snippet_id, _ in seen}
        own = {b.id for b in self.blocks if b.id and b.role != "before" and b.runner() == runner}
        for snippet_id in sorted(own - set(self.tests)):
            found.append(f"{self.relpath}: snippet {snippet_id} has no {runner} test")
        for snippet_id, test in sorted(self.tests.items()):
            if snippet_id not in ids:
                found.append(f"{self.relpath}: {test} runs snippet {snippet_id}, which is gone")
            elif snippet_id not in own:
                found.append(f"{self.relpath}: {test} runs snippet {snippet_id}, which is not a {runner} block")
        return found


# ---------------------------------------------------------------- Python snippets


def _importer(modules):
    real = builtins.__import__

    def import_(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and name in modules:
            return modules[name]
        return real(name, globals, locals, fromlist, level)

    return import_


def run_python(block, names=None, modules=None):
    """Execute a Python snippet with `names` defined; return its namespace.

    ``modules`` maps module names to what the snippet's ``import`` statements get
    instead. A snippet with a top-level ``await`` / ``async with`` runs in a new
    event loop (``asyncio.run``)."""
    namespace = dict(names or {})
    if modules:
        namespace["__builtins__"] = dict(vars(builtins), __import__=_importer(modules))
    code = compile(block.code, block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if code.co_flags & inspect.CO_COROUTINE:
        asyncio.run(eval(code, namespace))
    else:
        exec(code, namespace)
    return namespace


# Options of iamcore's authenticators whose defaults reach the platform.
_PLATFORM_OPTIONS = ("url", "cr_token_filename")


def iamcore_with_defaults(**defaults):
    """The iamcore package as a snippet would import it, but for the defaults that reach
    the platform: the authenticators that take them get ``url`` (IBM's IAM) and
    ``cr_token_filename`` (the files Kubernetes and Code Engine mount) from `defaults`
    unless the snippet gives them. The objects are the real ones (subclasses)."""
    unknown = set(defaults) - set(_PLATFORM_OPTIONS)
    if unknown:
        raise ValueError(f"not a platform default: {sorted(unknown)}")
    real = importlib.import_module("iamcore")
    for lazy in ("aws", "db2"):
        importlib.import_module("iamcore." + lazy)
    module = types.ModuleType("iamcore", real.__doc__)
    module.__dict__.update({k: v for k, v in vars(real).items() if k not in ("__getattr__", "__dir__")})
    for name in real.__all__:
        cls = getattr(real, name)
        if not (isinstance(cls, type) and hasattr(cls, "token")):
            continue
        accepted = {k: v for k, v in defaults.items() if k in inspect.signature(cls.__init__).parameters}
        if accepted:
            module.__dict__[name] = _with_defaults(cls, accepted)
    return module


def _with_defaults(cls, defaults):
    def __init__(self, *args, **kwargs):
        for key, value in defaults.items():
            if kwargs.get(key) is None:
                kwargs[key] = value
        cls.__init__(self, *args, **kwargs)

    return type(cls.__name__, (cls,), {"__slots__": (), "__init__": __init__,
                                       "__module__": cls.__module__, "__qualname__": cls.__qualname__})


# ---------------------------------------------------------------- shell and console blocks


def console(block):
    """A console block (``$ command`` lines, each followed by its output) as a list of
    (command, output lines)."""
    session = []
    for line in block.code.split("\n"):
        if line.startswith("$ "):
            session.append((line[2:], []))
        elif session:
            session[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"{block.where}: output before the first '$ ' command")
    return session


def without_annotations(code, arrow="<-"):
    """The text of a block whose lines carry explanations after `arrow` (and the spaces
    before it), without them."""
    return "\n".join(re.sub(r"\s+" + re.escape(arrow) + r" .*$", "", line) for line in code.split("\n"))


def bash(code, env, cwd, timeout=60, stdin=subprocess.DEVNULL):
    """Run a shell snippet with bash (errexit off, as a user types it); the CompletedProcess."""
    return subprocess.run(["bash", "-c", code], env=env, cwd=str(cwd), stdin=stdin,
                          capture_output=True, text=True, timeout=timeout)


def command_dir(directory, **commands):
    """Write executable shell wrappers `name` -> command line (``"$@"`` appended) into
    `directory`, for a PATH that gives a snippet's ``python`` or ``iamcore`` the ones under test."""
    directory.mkdir(exist_ok=True)
    for name, argv in commands.items():
        path = directory / name
        path.write_text("#!/bin/sh\nexec " + " ".join(_sh_quote(a) for a in argv) + ' "$@"\n')
        path.chmod(0o755)
    return directory


def _sh_quote(word):
    return "'" + str(word).replace("'", "'\\''") + "'"


# ---------------------------------------------------------------- C snippets

WARNINGS = ["-std=c11", "-Wall", "-Wextra", "-Wshadow", "-Wstrict-prototypes", "-Werror"]
LIBRARY = ROOT / "build" / "c" / "libiamcore.a"


FUNCTION_HEADER = re.compile(r"(?!(?:if|for|while|switch|return)\b)[A-Za-z_][\w \t*]*\b\w+[ \t]*\([^;{]*\)[ \t]*\{?")


def c_program(code, prelude="", postlude=""):
    """A C program around a snippet: its function definitions stay at file scope, its
    other statements become the body of ``static void snippet(void)``, which `postlude`
    (the test's ``main``) calls."""
    file_scope, body, target, depth = [], [], None, 0
    for line in code.split("\n"):
        if depth == 0:
            header = FUNCTION_HEADER.fullmatch(line) is not None
            target = file_scope if header or (target is file_scope and line == "{") else body
        target.append(line)
        depth += line.count("{") - line.count("}")
    return (prelude + "\n" + "\n".join(file_scope) + "\nstatic void snippet(void)\n{\n"
            + "\n".join(body) + "\n}\n" + postlude + "\n")


def build_c(source, directory, name="snippet"):
    """Compile a program against libiamcore (build/c, made by ``make``) with the project's
    warnings as errors, under AddressSanitizer (leaks included) and UBSan; its path."""
    if not LIBRARY.exists():
        raise AssertionError(f"{LIBRARY} is missing: build it first (make, or scripts/build.sh)")
    src, exe = directory / f"{name}.c", directory / name
    src.write_text(source)
    pkg = subprocess.run(["pkg-config", "--cflags", "--libs", "libcurl", "libcjson", "libcrypto"],
                         capture_output=True, text=True, check=True).stdout.split()
    cc = os.environ.get("CC") or shutil.which("cc") or "gcc"
    done = subprocess.run([cc, *WARNINGS, "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                           "-I", str(ROOT / "csrc" / "include"), str(src), str(LIBRARY), *pkg,
                           "-lpthread", "-lm", "-o", str(exe)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        numbered = "\n".join(f"{n:4} {line}" for n, line in enumerate(source.split("\n"), 1))
        raise AssertionError(f"the C snippet does not compile:\n{done.stderr}\n{numbered}")
    return exe
