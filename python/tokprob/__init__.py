"""tokprob: how likely is each token?

Token probabilities of Hugging Face transformer models, computed natively (C++) with the numbers of
`transformers` (softmax of the logits) to float precision::

    import tokprob
    lm = tokprob.load("distilgpt2")                 # a model folder or a Hugging Face model id
    lm.next("This weekend I plan to", k=5).top      # the 5 most likely next tokens
    lm.logits("Hello world")                        # numpy float32 [tokens, vocab]
    lm.score("Hello world, how are you").perplexity

Every result has attributes and ``to_dict()``, which equals the command line's ``--format json``.
Errors raise :class:`tokprob.Error` (a ``ValueError``) with the command line's one-line message.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Literal, TypeVar, cast, overload

import numpy as np
import numpy.typing as npt

from . import _core
from ._core import Error

__all__ = ["ChatTemplate", "Error", "Model", "Result", "Tokenizer", "Encoding", "load", "__version__"]
__version__: str = _core.version()

Encoding = _core.Encoding
T = TypeVar("T")


class Result:
    """A task's result: the fields of its JSON object as attributes (nested objects too)."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        try:
            return _wrap(self._data[name])
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}") from None

    def __getitem__(self, name: str) -> Any:
        return _wrap(self._data[name])

    def __contains__(self, name: object) -> bool:
        return name in self._data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Result) and other._data == self._data

    def __hash__(self) -> int:
        return id(self)

    def __dir__(self) -> list[str]:
        return sorted(self._data)

    def keys(self) -> list[str]:
        return list(self._data)

    def to_dict(self) -> dict[str, Any]:
        """The result as the command line's ``--format json`` writes it."""
        data: dict[str, Any] = json.loads(json.dumps(self._data))
        return data

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={_short(v)}" for k, v in self._data.items())
        return f"{type(self).__name__}({fields})"


class ScoreResult(Result):
    """A scored text; ``logprobs`` is a numpy array, NaN where a token was not scored."""

    __slots__ = ()

    @property
    def logprobs(self) -> npt.NDArray[np.float64]:
        return np.array([np.nan if t["logprob"] is None else t["logprob"] for t in self._data["tokens"]])

    @property
    def ids(self) -> npt.NDArray[np.int64]:
        return np.array([t["id"] for t in self._data["tokens"]], dtype=np.int64)

    @property
    def perplexity(self) -> float:
        p = self._data["perplexity"]
        return float("nan") if p is None else float(p)


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return Result(value)
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [Result(v) for v in value]
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _texts(text: str | Sequence[str]) -> tuple[list[str], bool]:
    """The texts of a call and whether one text (not a list) was given."""
    if isinstance(text, str):
        return [text], True
    texts = list(text)
    if not all(isinstance(t, str) for t in texts):
        raise TypeError("text must be a string or a list of strings")
    return texts, False


def _one_or_many(results: list[T], single: bool) -> T | list[T]:
    return results[0] if single else results


class Tokenizer:
    """The model's tokenizer, with the behaviour of Hugging Face ``tokenizers``."""

    def __init__(self, core: _core.Tokenizer) -> None:
        self._core = core

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        """Token ids of ``text``."""
        return list(self._core.encode(text, add_special_tokens).ids)

    def encode_full(self, text: str, add_special_tokens: bool = True) -> _core.Encoding:
        """Ids, tokens, offsets (in code points), type ids and the special-token mask."""
        return self._core.encode(text, add_special_tokens)

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = False) -> str:
        return self._core.decode([int(i) for i in ids], skip_special_tokens)

    def id_to_token(self, id: int) -> str:
        return self._core.id_to_token(id)

    def token_to_id(self, token: str) -> int | None:
        return self._core.token_to_id(token)

    @property
    def vocab_size(self) -> int:
        return self._core.vocab_size

    def __len__(self) -> int:
        return self._core.vocab_size


class ChatTemplate:
    """A model's chat template, rendered as ``transformers``' ``apply_chat_template`` renders it."""

    def __init__(self, core: _core.ChatTemplate) -> None:
        self._core = core

    @staticmethod
    def from_folder(folder: str) -> ChatTemplate:
        """The template of a model folder: chat_template.jinja, else tokenizer_config.json's."""
        return ChatTemplate(_core.ChatTemplate.from_folder(folder))

    @staticmethod
    def from_string(source: str, special_tokens: dict[str, str] | None = None) -> ChatTemplate:
        return ChatTemplate(_core.ChatTemplate(source, list((special_tokens or {}).items())))

    @property
    def source(self) -> str:
        return self._core.source

    def render(self, messages: Sequence[dict[str, Any]], add_generation_prompt: bool = False,
               **variables: Any) -> str:
        """``apply_chat_template(messages, add_generation_prompt=..., tokenize=False, **variables)``.

        A content given as OpenAI's list of parts (``[{"type": "text", "text": ...}]``) is read as
        vLLM's OpenAI server reads it: a template that loops over a message's content gets the list,
        any other the texts joined by newlines; a part other than text raises Error naming it."""
        return self._core.render_json(json.dumps(list(messages)), add_generation_prompt, json.dumps(variables))

    def encode(self, tokenizer: Tokenizer, messages: Sequence[dict[str, Any]], add_generation_prompt: bool = False,
               **variables: Any) -> list[int]:
        """``apply_chat_template(..., tokenize=True)``: the rendered text's ids, no special tokens added."""
        rendered = self.render(messages, add_generation_prompt, **variables)
        return list(_core.encode_chat_prompt(tokenizer._core, rendered))


class Model:
    """A loaded model. Use :func:`load`. Safe to call from several Python threads at once; the GIL
    is released while the engine computes."""

    def __init__(self, core: _core.Model) -> None:
        self._core = core
        self._tokenizer = Tokenizer(core.tokenizer) if core.has_tokenizer else None
        self._chat_template: ChatTemplate | None = None

    @property
    def tokenizer(self) -> Tokenizer:
        """The model's tokenizer (an Error for a folder that has no tokenizer files)."""
        if self._tokenizer is None:
            _ = self._core.tokenizer  # raises the Error naming the folder
        assert self._tokenizer is not None
        return self._tokenizer

    @property
    def kind(self) -> str:
        """"causal-lm", "masked-lm", "classifier" or "seq2seq"."""
        return self._core.kind

    @property
    def tasks(self) -> list[str]:
        return self._core.tasks

    @property
    def model_type(self) -> str:
        return self._core.model_type

    @property
    def architecture(self) -> str:
        return self._core.architecture

    @property
    def vocab_size(self) -> int:
        return self._core.vocab_size

    @property
    def max_positions(self) -> int:
        return self._core.max_positions

    @property
    def dtype(self) -> str:
        return self._core.dtype

    @property
    def labels(self) -> list[str]:
        return self._core.labels

    @property
    def folder(self) -> str:
        return self._core.folder

    def __repr__(self) -> str:
        return (f"tokprob.Model({self.folder!r}, kind={self.kind!r}, model_type={self.model_type!r}, "
                f"dtype={self.dtype!r})")

    @overload
    def next(self, text: str, k: int = ..., position: int | Literal["all"] = ...,  # type: ignore[overload-overlap]
             targets: Sequence[str] | None = ..., *, add_special_tokens: bool = ...) -> Result: ...
    @overload
    def next(self, text: Sequence[str], k: int = ..., position: int | Literal["all"] = ...,
             targets: Sequence[str] | None = ..., *, add_special_tokens: bool = ...) -> list[Result]: ...

    def next(self, text: str | Sequence[str], k: int = 10, position: int | Literal["all"] = -1,
             targets: Sequence[str] | None = None, *,
             add_special_tokens: bool = True) -> Result | list[Result] | list[list[Result]]:
        """The next-token distribution after ``text`` (or each text of a list, run as one batch):
        the ``k`` most likely tokens with id, token, text, prob, logprob and logit. ``position``:
        index of the token whose next token is predicted (negative counts from the end), or "all"
        (then a list of results per text, one per position). ``targets``: continuations scored as
        the tokens they become after the text (chain rule over their pieces). ``add_special_tokens``:
        False for a text that writes its own (a rendered chat prompt)."""
        texts, single = _texts(text)
        o = _core.NextOptions()
        o.top_k = k
        if position == "all":
            o.all_positions = True
        elif isinstance(position, int):
            o.position = position
        else:
            raise TypeError('position must be an int or "all"')
        o.targets = list(targets or [])
        o.add_special_tokens = add_special_tokens
        results = [Result(r) for r in json.loads(self._core.next(texts, o))]
        if o.all_positions:
            # Positions run 0.. for each text in turn.
            per_text: list[list[Result]] = []
            for r in results:
                if r._data["position"] == 0:
                    per_text.append([])
                per_text[-1].append(r)
            return _one_or_many(per_text, single)
        return _one_or_many(results, single)

    def logits(self, text: str | Sequence[int], add_special_tokens: bool = True,
               decoder_ids: Sequence[int] | None = None) -> npt.NDArray[np.float32]:
        """The raw logits, float32, as ``model(**tokenizer(text, return_tensors="pt")).logits[0]``:
        [tokens, vocab] for a causal or masked LM, [1, labels] for a classifier, and the decoder's
        [decoder tokens, vocab] for a seq2seq model (``decoder_ids`` start with the decoder start
        token; default: it alone). ``text`` may be a list of token ids instead."""
        if isinstance(text, str):
            if decoder_ids is None:
                return self._core.logits(text, add_special_tokens)[1]
            text = self.tokenizer.encode(text, add_special_tokens)
        return self._core.logits_of_ids([int(i) for i in text], [int(i) for i in decoder_ids or []])[1]

    @overload
    def score(self, text: str,  # type: ignore[overload-overlap]
              window: int = ..., stride: int = ..., top_k: int = ...,
              score_first_token: bool = ..., *, token_stats: bool = ..., words: bool = ...,
              word_split: str = ..., word_spans: Sequence[tuple[int, int]] | None = ...,
              add_special_tokens: bool = ...) -> ScoreResult: ...
    @overload
    def score(self, text: Sequence[str], window: int = ..., stride: int = ..., top_k: int = ...,
              score_first_token: bool = ..., *, token_stats: bool = ..., words: bool = ...,
              word_split: str = ..., word_spans: Sequence[Sequence[tuple[int, int]]] | None = ...,
              add_special_tokens: bool = ...) -> list[ScoreResult]: ...

    def score(self, text: str | Sequence[str], window: int = 0, stride: int = 0, top_k: int = 0,
              score_first_token: bool = False, *, token_stats: bool = False, words: bool = False,
              word_split: str = "punctuation",
              word_spans: Sequence[tuple[int, int]] | Sequence[Sequence[tuple[int, int]]] | None = None,
              add_special_tokens: bool = True) -> ScoreResult | list[ScoreResult]:
        """The log-probability of every token of ``text`` given those before it, the total and the
        perplexity. Texts longer than ``window`` tokens (default: the model's context) are scored in
        windows ``stride`` tokens apart (default: half the window). ``top_k``: the most likely
        alternatives listed at each position; ``score_first_token``: condition the first token on
        the BOS (else EOS) token, as evaluation harnesses do for rolling log-likelihood.
        ``token_stats``: each position's entropy (nats) and the actual token's rank.
        ``words``: each word's probability (``result.words``: ``logprob`` corrected for word-start
        markers as Pimentel & Meister 2024, ``naive_logprob`` the sum of its tokens', surprisals in
        bits and nats); words split at whitespace and punctuation (``word_split="whitespace"``:
        whitespace alone), or ``word_spans``: [begin, end) code point ranges (a list per text
        when ``text`` is a list); either turns ``words`` on."""
        texts, single = _texts(text)
        o = _core.ScoreOptions()
        o.window = window
        o.stride = stride
        o.top_k = top_k
        o.score_first_token = score_first_token
        o.token_stats = token_stats
        o.words = words or word_split != "punctuation" or word_spans is not None
        o.word_split = word_split
        if word_spans is not None:
            lists = cast("list[Sequence[tuple[int, int]]]", [word_spans] if single else list(word_spans))
            o.word_spans = [[(int(b), int(e)) for b, e in spans] for spans in lists]
        o.add_special_tokens = add_special_tokens
        return _one_or_many([ScoreResult(r) for r in json.loads(self._core.score(texts, o))], single)

    @overload
    def compare(self, performer: Model, text: str,  # type: ignore[overload-overlap]
                score_first_token: bool = ...) -> Result: ...
    @overload
    def compare(self, performer: Model, text: Sequence[str], score_first_token: bool = ...) -> list[Result]: ...

    def compare(self, performer: Model, text: str | Sequence[str],
                score_first_token: bool = False) -> Result | list[Result]:
        """This model as the observer and ``performer`` (same tokenizer) on ``text``: each token's
        logprob under both, the cross-entropy of this model's distributions against the
        performer's, and the Binoculars score (Hans et al. 2024): this model's log-perplexity over
        that cross-entropy. As the command line's ``tokprob compare -m THIS -m PERFORMER``."""
        texts, single = _texts(text)
        results = [Result(r) for r in json.loads(self._core.compare(performer._core, texts, score_first_token))]
        return _one_or_many(results, single)

    def generate(self, text: str, max_new_tokens: int = 20, *, do_sample: bool | None = None,
                 temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0, min_p: float = 0.0,
                 repetition_penalty: float = 1.0, seed: int | None = None, num_beams: int = 1,
                 num_return_sequences: int = 1, length_penalty: float = 1.0,
                 early_stopping: bool | Literal["never"] = False, logprobs: int = 0,
                 stop: Sequence[str] | None = None, eos_token_ids: Sequence[int] | None = None,
                 stream: bool = False, add_special_tokens: bool = True) -> Any:
        """Continues ``text``: greedy by default; sampling with do_sample or any sampling setting
        (temperature, top_k, top_p, min_p, seed); beam search with num_beams. Every step reports the
        chosen token's raw and processed log-probability and the ``logprobs`` most likely
        alternatives. ``stream=True`` returns an iterator of token events (greedy and sampling)."""
        o = _core.GenerateOptions()
        o.max_new_tokens = max_new_tokens
        o.do_sample = do_sample
        o.temperature = temperature
        o.top_k = top_k
        o.top_p = top_p
        o.min_p = min_p
        o.repetition_penalty = repetition_penalty
        o.seed = seed
        o.num_beams = num_beams
        o.num_return_sequences = num_return_sequences
        o.length_penalty = length_penalty
        o.early_stopping = early_stopping if isinstance(early_stopping, str) else str(early_stopping).lower()
        o.logprobs = logprobs
        o.stop = list(stop or [])
        o.eos_token_ids = None if eos_token_ids is None else [int(i) for i in eos_token_ids]
        o.add_special_tokens = add_special_tokens
        if stream:
            return self._stream(text, o)
        return Result(json.loads(self._core.generate(text, o)))

    @property
    def chat_template(self) -> ChatTemplate:
        """The model folder's chat template (an Error naming the folder when it has none)."""
        if self._chat_template is None:
            self._chat_template = ChatTemplate.from_folder(self.folder)
        return self._chat_template

    def chat_prompt(self, messages: Sequence[dict[str, Any]], add_generation_prompt: bool = True,
                    **variables: Any) -> str:
        """The prompt of a conversation, as ``tokenizer.apply_chat_template(messages,
        add_generation_prompt=..., tokenize=False, **variables)`` renders it."""
        return self.chat_template.render(messages, add_generation_prompt, **variables)

    def chat(self, messages: Sequence[dict[str, Any]], max_new_tokens: int = 20, **options: Any) -> Any:
        """The assistant's reply to a conversation (a list of {"role", "content"} messages): the
        chat template's prompt, continued as :meth:`generate` continues a text (same options)."""
        return self.generate(self.chat_prompt(messages), max_new_tokens, add_special_tokens=False, **options)

    def chat_next(self, messages: Sequence[dict[str, Any]], k: int = 10,
                  targets: Sequence[str] | None = None) -> Result:
        """The distribution of the assistant's first token after a conversation (see :meth:`next`)."""
        result = self.next(self.chat_prompt(messages), k, targets=targets, add_special_tokens=False)
        assert isinstance(result, Result)
        return result

    def score_reply(self, messages: Sequence[dict[str, Any]], reply: str, top_k: int = 0,
                    **variables: Any) -> ScoreResult:
        """How likely the model finds an assistant's ``reply`` to a conversation: the log-probability
        of each token of the reply (through the template's end of turn) given everything before it,
        their total and perplexity; comparing replies by it needs no reward model."""
        o = _core.ScoreOptions()
        o.top_k = top_k
        return ScoreResult(json.loads(self._core.score_reply(self.chat_template._core, json.dumps(list(messages)),
                                                             reply, o, json.dumps(variables))))

    def _stream(self, text: str, options: _core.GenerateOptions) -> Iterator[Result]:
        events: queue.Queue[tuple[str, Any]] = queue.Queue()

        def on_token(sequence: int, event: str, delta: str) -> None:
            events.put(("token", event))

        def run() -> None:
            try:
                events.put(("done", self._core.generate(text, options, on_token)))
            except BaseException as e:  # noqa: BLE001 - handed to the consuming thread
                events.put(("error", e))

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        while True:
            kind, value = events.get()
            if kind == "token":
                yield Result(json.loads(value))
            elif kind == "error":
                raise value
            else:
                worker.join()
                return

    @overload
    def fill_mask(self, text: str,  # type: ignore[overload-overlap]
                   k: int = ..., targets: Sequence[str] | None = ...) -> Result: ...
    @overload
    def fill_mask(self, text: Sequence[str], k: int = ..., targets: Sequence[str] | None = ...) -> list[Result]: ...

    def fill_mask(self, text: str | Sequence[str], k: int = 10,
                  targets: Sequence[str] | None = None) -> Result | list[Result]:
        """For every mask token of ``text``, the ``k`` most likely fills (as the fill-mask pipeline
        reports them) and the probabilities of ``targets``."""
        texts, single = _texts(text)
        o = _core.FillMaskOptions()
        o.top_k = k
        o.targets = list(targets or [])
        return _one_or_many([Result(r) for r in json.loads(self._core.fill_mask(texts, o))], single)

    @overload
    def classify(self, text: str,  # type: ignore[overload-overlap]
                  function: str = ..., pair: str | None = ..., candidate_labels: str | Sequence[str] | None = ...,
                  hypothesis_template: str = ..., multi_label: bool = ...) -> Result: ...
    @overload
    def classify(self, text: Sequence[str], function: str = ..., pair: str | None = ...,
                 candidate_labels: str | Sequence[str] | None = ..., hypothesis_template: str = ...,
                 multi_label: bool = ...) -> list[Result]: ...

    def classify(self, text: str | Sequence[str], function: str = "auto", pair: str | None = None,
                 candidate_labels: str | Sequence[str] | None = None,
                 hypothesis_template: str = "This example is {}.", multi_label: bool = False) -> Result | list[Result]:
        """Label probabilities, as the text-classification pipeline computes them. ``function``:
        "auto", "softmax", "sigmoid" or "none"; ``pair``: the second text of a sentence pair.
        With ``candidate_labels`` (a list, or one comma-separated string), zero-shot classification
        as the zero-shot-classification pipeline computes it on an NLI model: each label goes into
        ``hypothesis_template``; ``multi_label`` scores each label apart."""
        texts, single = _texts(text)
        o = _core.ClassifyOptions()
        o.function = function
        o.pair = pair
        if candidate_labels is not None:
            o.candidate_labels = (_core.parse_candidate_labels(candidate_labels) if isinstance(candidate_labels, str)
                                  else list(candidate_labels))
            o.hypothesis_template = hypothesis_template
            o.multi_label = multi_label
        return _one_or_many([Result(r) for r in json.loads(self._core.classify(texts, o))], single)

    @overload
    def seq2seq(self, text: str,  # type: ignore[overload-overlap]
                k: int = ..., max_new_tokens: int | None = ..., target: str | None = ..., *,
                min_new_tokens: int | None = ..., num_beams: int | None = ...,
                no_repeat_ngram_size: int | None = ..., length_penalty: float | None = ...,
                early_stopping: bool | Literal["never"] | None = ...,
                repetition_penalty: float | None = ...) -> Result: ...
    @overload
    def seq2seq(self, text: Sequence[str], k: int = ..., max_new_tokens: int | None = ...,
                target: str | None = ..., *, min_new_tokens: int | None = ..., num_beams: int | None = ...,
                no_repeat_ngram_size: int | None = ..., length_penalty: float | None = ...,
                early_stopping: bool | Literal["never"] | None = ...,
                repetition_penalty: float | None = ...) -> list[Result]: ...

    def seq2seq(self, text: str | Sequence[str], k: int = 10, max_new_tokens: int | None = None,
                target: str | None = None, *, min_new_tokens: int | None = None, num_beams: int | None = None,
                no_repeat_ngram_size: int | None = None, length_penalty: float | None = None,
                early_stopping: bool | Literal["never"] | None = None,
                repetition_penalty: float | None = None) -> Result | list[Result]:
        """What an encoder-decoder model writes for ``text``, step by step with each step's ``k``
        most likely tokens; with ``target``, how likely the model finds that output. Generation
        settings left None take the model's defaults (generation_config.json, else config.json, as
        ``model.generate()`` does; then greedy with 20 new tokens); beam search reports the steps
        of the best beam."""
        texts, single = _texts(text)
        o = _core.Seq2SeqOptions()
        o.top_k = k
        o.max_new_tokens = max_new_tokens
        o.min_new_tokens = min_new_tokens
        o.num_beams = num_beams
        o.no_repeat_ngram_size = no_repeat_ngram_size
        o.length_penalty = length_penalty
        o.repetition_penalty = repetition_penalty
        if early_stopping is not None:
            o.early_stopping = early_stopping if isinstance(early_stopping, str) else str(early_stopping).lower()
        o.target = target
        return _one_or_many([Result(r) for r in json.loads(self._core.seq2seq(texts, o))], single)


def load(name: str, dtype: str = "fp32", threads: int | None = None, revision: str | None = None,
         kind: str | None = None, add_prefix_space: bool | None = None, add_special_tokens: bool = True) -> Model:
    """Loads a model: a Hugging Face model folder (as ``save_pretrained`` writes it) or a model id
    ("distilgpt2", "org/name", "org/name@revision") found in, or downloaded into, the Hugging Face
    cache that ``transformers`` uses.

    dtype: "fp32" (the reference's numbers), "bf16", "f16" or "int8" (faster, slightly different).
    threads: the engine's threads (shared by the whole process); None leaves it as it is (all cores).
    kind: load as "causal-lm", "masked-lm", "classifier" or "seq2seq" instead of what config.json says.
    add_prefix_space, add_special_tokens: the tokenizer options of ``AutoTokenizer.from_pretrained``
    that change ids, applied as the reference applies them for the tokenizer's family.
    """
    return Model(_core.load(name, dtype, threads or 0, revision or "", kind, add_prefix_space, add_special_tokens))
