"""No input can freeze the server through a regex (issue #22).

Python's ``re`` backtracks: a pattern with nested or adjacent unbounded quantifiers over the
same characters (``\\s*\\n\\s*``, ``(.*?)\\s*$``) takes quadratic or worse time on a long run
of those characters. Every pattern of the product code is found here automatically and run
on adversarial strings of 100,000 characters; each search must finish within a safety bound.

Where the patterns come from, so a new one cannot slip past:
* every ``re.compile`` / ``re.search`` / ``re.sub`` … call in core/, pipeline/, review_pulse/,
  dashboard/, pages/ and app.py whose pattern is a literal (read with ``ast``);
* every module-level ``re.Pattern`` of the importable packages (patterns built by code);
* the feedback analyser's patterns (built from core/data/review_lexicon.toml and the theme
  dictionary), and each lexicon regex on its own;
* the default ``action_review_label`` setting.
A call whose pattern is not a literal must be listed in DYNAMIC_SITES with where its patterns
are covered; an unlisted one fails the test.

The strings are derived from each pattern's parse tree: for every quantified atom, a run of each
character it can match, alone, after the text that leads into it (a sample of everything before
it in the pattern) and followed by a character that ends nothing ("\\x00"). Each search runs in a
worker process, so a catastrophic pattern fails the test instead of hanging it.

The bound is a safety bound, not a speed goal: 0.5 s for a search over 100,000 characters that a
linear pattern does in milliseconds (a quadratic one takes minutes).
"""

from __future__ import annotations

import ast
import importlib
import multiprocessing
import pkgutil
import re
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

try:  # Python 3.11+
    import re._constants as sre_constants
    import re._parser as sre_parse
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

from core.feedback_themes import DEFAULT_FEEDBACK_THEMES
from core.settings import Settings
from pipeline.feedback_analysis import LEXICON_PATH, FeedbackAnalyser
from pipeline.regex_literals import FilteredAlternation

ROOT = Path(__file__).resolve().parent.parent
PRODUCT_PACKAGES = ("core", "pipeline", "review_pulse", "dashboard")
PRODUCT_FILES = [*sorted(p for d in (*PRODUCT_PACKAGES, "pages") for p in (ROOT / d).rglob("*.py")), ROOT / "app.py"]
RUN_CHARS = 100_000
# A linear search of RUN_CHARS characters by the analyser's 33-branch alternation takes 0.3-0.55 s of CPU
# depending on the machine (0.52-0.53 s here on 7 Dec 2026, on the code that passed in CI); a backtracking
# one takes orders of magnitude more at this length (quadratic: about 10^10 steps). The bound only has to
# tell the two apart, so it sits well above the linear cost instead of on it.
BOUND_SECONDS = 1.5
# A worker that has not answered by then is stuck in a search: killed, and the pattern fails.
STUCK_SECONDS = 10.0
RE_FUNCTIONS = {"compile": 1, "match": 2, "search": 2, "fullmatch": 2, "findall": 2, "finditer": 2, "split": 3,
                "sub": 4, "subn": 4}  # the position of the flags argument
# Characters a quantified atom may be run over: letters, digits, spaces, line breaks, the
# punctuation Slack and our patterns use, a non-ASCII letter, a curly apostrophe, control characters.
POOL = " \t\n\r\x0baZ019_'\"-.,!?:;<>@|`()[]{}*~/\\#&+=%^$é\u2019\u2014\x00\x1b\x7f"
# Ends a run: matched by no quantified atom of a product pattern (checked per pattern below).
TAIL = "\x00"

# Calls whose pattern is not a literal, by file and the pattern argument's source text, and
# where their patterns are run instead.
DYNAMIC_SITES = {
    ("core/settings.py", "_load_action_settings"): "checks the action_review_label setting: its default is run",
    ("pipeline/actions.py", "__init__"): "the action_review_label setting: its default is run",
    ("pipeline/feedback_analysis.py", "phrase_alternation"): "the analyser's phrases, negation hint, theme ignore list and "
                                                       "theme fallbacks: the analyser's patterns are run",
    ("pipeline/feedback_analysis.py", "_any_regex"): "the lexicon's [requests] and [sarcasm]: the analyser's patterns "
                                                     "and each lexicon regex are run",
    ("pipeline/feedback_analysis.py", "_regex_list"): "checks each lexicon regex: each is run",
    ("pipeline/feedback_analysis.py", "_lowered_twin"): "the phrases and the negation hint without IGNORECASE: the "
                                                        "analyser's patterns are run",
    ("pipeline/regex_literals.py", "__init__"): "a table's whole alternation: the analyser's patterns are run",
    ("pipeline/regex_literals.py", "single"): "each lexicon regex between its table's before and after: the "
                                              "analyser's patterns are run",
    ("pipeline/feedback_analysis.py", "_load_rules"): "the lexicon's [patterns] and [negators]: the analyser's patterns "
                                                      "and each lexicon regex are run",
}


@dataclass(frozen=True)
class Found:
    where: str  # "pipeline/polls.py:153" or "lexicon [patterns] 3"
    pattern: str
    flags: int

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern, self.flags)


# --- finding the patterns --------------------------------------------------------------------


def _re_calls() -> tuple[list[Found], list[tuple[str, str]]]:
    """Literal patterns of ``re.<function>(...)`` calls, and the (file, enclosing function) of the others."""
    literal: list[Found] = []
    dynamic: list[tuple[str, str]] = []
    for path in PRODUCT_FILES:
        relative = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        function_of: dict[int, str] = {}  # call node -> the innermost function around it (walked outer first)
        for function in ast.walk(tree):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                function_of.update((id(n), function.name) for n in ast.walk(function))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
                    and node.func.attr in RE_FUNCTIONS and node.args):
                continue
            argument = node.args[0]
            if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                dynamic.append((relative, function_of.get(id(node), "<module>")))
                continue
            flags_node = next((k.value for k in node.keywords if k.arg == "flags"), None)
            position = RE_FUNCTIONS[node.func.attr]
            if flags_node is None and len(node.args) > position:
                flags_node = node.args[position]
            flags = int(eval(compile(ast.Expression(flags_node), relative, "eval"), {"re": re})) if flags_node else 0
            literal.append(Found(f"{relative}:{node.lineno}", argument.value, flags))
    return literal, dynamic


def module_patterns() -> list[Found]:
    """Every module-level compiled pattern of the importable product packages."""
    found = []
    for package in PRODUCT_PACKAGES:
        for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
            if info.name.endswith(".__main__"):  # an entry point: importing it runs the command
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if isinstance(value, re.Pattern):
                    found.append(Found(f"{info.name}.{name}", value.pattern, value.flags & ~re.UNICODE))
    return found


def analyser_patterns() -> list[Found]:
    """The feedback analyser's patterns as built from the lexicon and the default themes."""
    analyser = FeedbackAnalyser(DEFAULT_FEEDBACK_THEMES)
    found = [Found(f"FeedbackAnalyser.{name}", value.pattern, value.flags & ~re.UNICODE)
             for name, value in vars(analyser).items() if isinstance(value, re.Pattern)]
    for name, value in vars(analyser).items():
        if isinstance(value, FilteredAlternation):  # the whole alternation and each regex on its own
            found.append(Found(f"FeedbackAnalyser.{name}", value.whole.pattern, value.whole.flags & ~re.UNICODE))
            found += [Found(f"FeedbackAnalyser.{name} {i}", value.single(i).pattern, value.single(i).flags & ~re.UNICODE)
                      for i in range(len(value.alternatives))]
    matcher = analyser._theme_matcher  # noqa: SLF001  (an attribute read, not an import)
    found += [Found(f"theme fallback {theme_id}", pattern.pattern, pattern.flags & ~re.UNICODE)
              for theme_id, (_characters, pattern) in matcher.fallback.items() if pattern is not None]
    return found


def lexicon_patterns() -> list[Found]:
    """Each regex of the lexicon on its own, as it is matched (case ignored, where a word starts)."""
    lexicon = tomllib.loads(LEXICON_PATH.read_text(encoding="utf-8"))
    tables = {"patterns": list(lexicon.get("patterns", {})), "negators": list(lexicon.get("negators", {}))}
    for section in ("requests", "sarcasm"):
        for kind, entries in lexicon.get(section, {}).items():
            if isinstance(entries, list):
                tables[f"{section} {kind}"] = entries
    return [Found(f"lexicon [{table}] {i}: {regex[:50]}", r"(?<![\w'])(?:" + regex + ")", re.IGNORECASE)
            for table, regexes in tables.items() for i, regex in enumerate(regexes)]


def settings_patterns() -> list[Found]:
    return [Found("settings action_review_label (default)", Settings().action_review_label, 0)]


def all_patterns() -> list[Found]:
    literal, _dynamic = _re_calls()
    found = [*literal, *module_patterns(), *analyser_patterns(), *lexicon_patterns(), *settings_patterns()]
    unique: dict[tuple[str, int], Found] = {}
    for item in found:
        unique.setdefault((item.pattern, item.flags), item)
    return list(unique.values())


# --- adversarial strings ---------------------------------------------------------------------

_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, getattr(sre_constants, "POSSESSIVE_REPEAT", None)}
_CATEGORIES = {
    sre_constants.CATEGORY_DIGIT: str.isdecimal, sre_constants.CATEGORY_NOT_DIGIT: lambda c: not c.isdecimal(),
    sre_constants.CATEGORY_SPACE: lambda c: bool(re.match(r"\s", c)),
    sre_constants.CATEGORY_NOT_SPACE: lambda c: not re.match(r"\s", c),
    sre_constants.CATEGORY_WORD: lambda c: bool(re.match(r"\w", c)),
    sre_constants.CATEGORY_NOT_WORD: lambda c: not re.match(r"\w", c),
}


def _atom_matches(op, av, char: str, ignore_case: bool) -> bool:  # noqa: ANN001
    chars = {char, char.lower(), char.upper()} if ignore_case else {char}
    if op is sre_constants.LITERAL:
        return chr(av) in chars
    if op is sre_constants.NOT_LITERAL:
        return chr(av) not in chars
    if op is sre_constants.ANY:
        return True
    if op is sre_constants.IN:
        negate = any(item_op is sre_constants.NEGATE for item_op, _ in av)
        hit = False
        for item_op, item_av in av:
            if item_op is sre_constants.LITERAL:
                hit |= chr(item_av) in chars
            elif item_op is sre_constants.RANGE:
                hit |= any(item_av[0] <= ord(c) <= item_av[1] for c in chars)
            elif item_op is sre_constants.CATEGORY:
                hit |= _CATEGORIES.get(item_av, lambda c: False)(char)
        return hit != negate
    return False


def _children(op, av) -> list[list]:  # noqa: ANN001
    """The node lists inside a node."""
    if op in _REPEATS:
        return [list(av[2])]
    if op is sre_constants.BRANCH:
        return [list(b) for b in av[1]]
    if op is sre_constants.SUBPATTERN:
        return [list(av[-1])]
    if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
        return [list(av[1])]
    if op is getattr(sre_constants, "ATOMIC_GROUP", None):
        return [list(av)]
    if op is sre_constants.GROUPREF_EXISTS:
        return [list(b) for b in av[1:] if b is not None]
    return []


def _run_chars(nodes: list, ignore_case: bool) -> set[str]:
    """Pool characters some single-character atom among these nodes matches."""
    found = set()
    for op, av in nodes:
        children = _children(op, av)
        if children:
            for child in children:
                found |= _run_chars(child, ignore_case)
        else:
            found |= {c for c in POOL if _atom_matches(op, av, c, ignore_case)}
    return found


def _sample(nodes: list, ignore_case: bool) -> str:
    """A short text the nodes match (a minimal one; assertions are skipped)."""
    text = ""
    for op, av in nodes:
        if op is sre_constants.LITERAL:
            text += chr(av)
        elif op in (sre_constants.NOT_LITERAL, sre_constants.ANY, sre_constants.IN):
            text += next((c for c in "a0 .-_" + POOL if _atom_matches(op, av, c, ignore_case)), "")
        elif op in _REPEATS:
            text += _sample(list(av[2]), ignore_case) * min(av[0], 5)
        elif op in (sre_constants.BRANCH, sre_constants.SUBPATTERN) or op is getattr(sre_constants, "ATOMIC_GROUP", None):
            text += _sample(_children(op, av)[0], ignore_case)
    return text


def _leads(nodes: list, before: str, ignore_case: bool):  # noqa: ANN202
    """(text leading into it, its body) for every quantified atom."""
    for op, av in nodes:
        if op in _REPEATS and av[1] > 1:
            yield before, list(av[2])
        for child in _children(op, av):
            if op not in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
                yield from _leads(child, before, ignore_case)
        before += _sample([(op, av)], ignore_case)


def _atoms(nodes: list) -> list:
    """Every single-character atom among the nodes, assertions included."""
    found = []
    for op, av in nodes:
        children = _children(op, av)
        if children:
            for child in children:
                found += _atoms(child)
        elif op in (sre_constants.LITERAL, sre_constants.NOT_LITERAL, sre_constants.ANY, sre_constants.IN):
            found.append((op, av))
    return found


def _representatives(tree: list, ignore_case: bool) -> set[str]:
    """One pool character per class of characters the pattern cannot tell apart (every atom, and
    word/space/digit boundaries, treat them alike): the runs of the others would time the same."""
    atoms = _atoms(tree)
    classes: dict[tuple, str] = {}
    for char in POOL:
        signature = (tuple(_atom_matches(op, av, char, ignore_case) for op, av in atoms),
                     char.isalnum() or char == "_", char.isspace(), char == "\n")
        classes.setdefault(signature, char)
    return set(classes.values())


def adversarial_strings(found: Found) -> list[str]:
    tree = list(sre_parse.parse(found.pattern, found.flags))
    ignore_case = bool(found.flags & re.IGNORECASE)
    representatives = _representatives(tree, ignore_case)
    strings: dict[str, None] = {}
    leads = list(dict.fromkeys((lead[-40:], frozenset(_run_chars(body, ignore_case) & representatives))
                               for lead, body in _leads(tree, "", ignore_case)))
    if len(leads) > 20:  # a trie of hundreds of phrases: an even sample of them
        leads = leads[:: len(leads) // 20 + 1]
    for lead, chars in leads:
        for char in sorted(chars):
            run = char * RUN_CHARS
            # The run, failing at its end; after what leads into its atom; after a label (a poll option).
            for text in (run + TAIL, lead + run + TAIL, "label" + run + TAIL):
                strings[text] = None
    strings["a" * RUN_CHARS + "!"] = None
    return list(strings)


# --- timing in a worker process ----------------------------------------------------------------


def _worker(connection) -> None:  # noqa: ANN001
    while True:
        job = connection.recv()
        if job is None:
            return
        pattern, flags, text = job
        compiled = re.compile(pattern, flags)
        # The worker's CPU time, not the wall clock: on a shared machine a linear pattern may wait
        # for a core (0.52 s of wall for 0.2 s of work was seen), while a backtracking one burns
        # CPU for minutes either way.
        start = time.process_time()
        compiled.search(text)
        searched = time.process_time()
        compiled.sub("", text)  # every match, as .sub/.findall/.finditer/.split go through them
        connection.send(max(searched - start, time.process_time() - searched))


class Timer:
    """Times searches in a forked worker; a stuck worker is killed and replaced."""

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("fork")
        self._start()

    def _start(self) -> None:
        self.connection, child = self._context.Pipe()
        self.process = self._context.Process(target=_worker, args=(child,), daemon=True)
        self.process.start()

    def seconds(self, found: Found, text: str) -> float:
        """The slower of one search and one sub, in CPU seconds; over the bound, the fastest of three tries."""
        seconds = self._once(found, text)
        for _ in range(2):
            if seconds <= BOUND_SECONDS or seconds == float("inf"):
                break
            seconds = min(seconds, self._once(found, text))
        return seconds

    def _once(self, found: Found, text: str) -> float:
        self.connection.send((found.pattern, found.flags, text))
        if self.connection.poll(STUCK_SECONDS):
            return self.connection.recv()
        self.process.kill()
        self.process.join()
        self._start()
        return float("inf")

    def close(self) -> None:
        self.connection.send(None)
        self.process.join(5)


@pytest.fixture(scope="module")
def timer():  # noqa: ANN201
    timer = Timer()
    yield timer
    timer.close()


def _shown(text: str) -> str:
    run = text[len(text) // 2]
    head = text[: text.index(run * 5)] if run * 5 in text else ""
    return f"{head!r} + {run!r} * {text.count(run):,}" + (" + tail" if text.endswith(TAIL) and run != TAIL else "")


PATTERNS = all_patterns()


def test_patterns_are_found_everywhere() -> None:
    """The discovery reaches every kind of place a pattern lives, and knows every dynamic one."""
    literal, dynamic = _re_calls()
    unknown = sorted({site for site in dynamic if site not in DYNAMIC_SITES})
    assert not unknown, f"patterns built at run time with no coverage here: {unknown}; add them to DYNAMIC_SITES"
    places = {f.where.split(":")[0].split(".")[0] for f in literal}
    assert {"core/settings", "pipeline/polls", "pipeline/parse/feedback", "review_pulse/export"} <= {
        p.rsplit(".", 1)[0] for p in places}
    assert any(f.where.startswith("lexicon [patterns]") for f in PATTERNS)
    assert any(f.where.startswith("FeedbackAnalyser.") for f in PATTERNS)
    assert len(PATTERNS) > 100


@pytest.mark.timeout(600)
@pytest.mark.parametrize("found", PATTERNS, ids=[f.where for f in PATTERNS])
def test_pattern_is_linear_on_adversarial_text(found: Found, timer: Timer) -> None:
    slow = []
    for text in adversarial_strings(found):
        seconds = timer.seconds(found, text)
        if seconds > BOUND_SECONDS:
            slow.append(f"{_shown(text)}: {'stuck' if seconds == float('inf') else f'{seconds:.2f} s'}")
            break  # one is enough to fail it, and a stuck worker costs STUCK_SECONDS each
    assert not slow, f"{found.where} {found.pattern!r} backtracks: {slow}"


# --- the product functions the issue named, on its own hostile inputs ------------------------

SIMPLE_OPTION_LINES = [
    ("Alert fatigue    `8`", ("Alert fatigue", 8)),
    ("Alert fatigue `12`   ", ("Alert fatigue", 12)),
    ("No votes yet", ("No votes yet", None)),
    ("Ends in a tick`3`", ("Ends in a tick`3`", None)),  # the count follows whitespace
    ("`5`", ("`5`", None)),
    ("   `5`", ("", 5)),
    ("a `1` `2`", ("a `1`", 2)),
    ("Version `v2`", ("Version `v2`", None)),
    ("a" + " " * 100_000 + "x", ("a" + " " * 100_000 + "x", None)),
]


@pytest.mark.parametrize(("line", "expected"), SIMPLE_OPTION_LINES, ids=[l[:20] for l, _ in SIMPLE_OPTION_LINES])
def test_simple_option_reads_label_and_count(line: str, expected: tuple[str, int | None]) -> None:
    from pipeline.polls import simple_option

    assert simple_option(line) == expected


def _polly_field(text: str) -> None:
    from pipeline.polls import PollMessageError, parse_polly

    message = {"blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": text}],
                           "accessory": {"action_id": "PollMessage(p1).Menu()"}}]}
    with pytest.raises(PollMessageError):
        parse_polly(message)


def _feedback(text: str) -> None:
    FeedbackAnalyser(DEFAULT_FEEDBACK_THEMES).analyse(text)


def _clean_text(text: str) -> None:
    from pipeline.polls import clean_text

    clean_text(text)


HOSTILE_INPUTS = {
    "Polly field: label + 3,000 line breaks, no count": (_polly_field, "label" + "\n" * 3_000),
    "Polly field: label + 200,000 line breaks": (_polly_field, "label" + "\n" * 200_000),
    "Slack text: 200,000 '<'": (_clean_text, "<" * 200_000),
    "Slack text: 100,000 '<@U1|'": (_clean_text, "<@U1|" * 100_000),
    "comment: '5' + 20,000 spaces (time lost)": (_feedback, "5" + " " * 20_000 + "x"),
    "comment: 200,000 characters of tabs": (_feedback, "started 10" + "\t" * 200_000),
}


@pytest.mark.parametrize(("function", "text"), HOSTILE_INPUTS.values(), ids=HOSTILE_INPUTS.keys())
def test_named_offenders_finish_quickly(function, text: str) -> None:  # noqa: ANN001
    start = time.perf_counter()
    function(text)
    assert time.perf_counter() - start < 2 * BOUND_SECONDS  # the analyser's own setup is in it
