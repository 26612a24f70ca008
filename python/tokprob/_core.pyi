"""Type stubs of the extension module (python/core_module.cpp)."""

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

class Error(ValueError): ...

class Encoding:
    ids: list[int]
    type_ids: list[int]
    tokens: list[str]
    offsets: list[tuple[int, int]]
    special_mask: list[int]

class Tokenizer:
    @staticmethod
    def from_folder(folder: str, add_prefix_space: bool | None = None,
                    add_special_tokens: bool = True) -> Tokenizer: ...
    def encode(self, text: str, add_special_tokens: bool = True) -> Encoding: ...
    def encode_pair(self, first: str, second: str, add_special_tokens: bool = True) -> Encoding: ...
    def decode(self, ids: list[int], skip_special_tokens: bool = False) -> str: ...
    def id_to_token(self, id: int) -> str: ...
    def token_to_id(self, token: str) -> int | None: ...
    def token_text(self, id: int) -> str: ...
    @property
    def vocab_size(self) -> int: ...
    def is_special(self, id: int) -> bool: ...

class ChatTemplate:
    @staticmethod
    def from_folder(folder: str) -> ChatTemplate: ...
    @staticmethod
    def folder_has_template(folder: str) -> bool: ...
    def __init__(self, source: str, special_tokens: list[tuple[str, str]] = ...) -> None: ...
    @property
    def source(self) -> str: ...
    def render_json(self, messages_json: str, add_generation_prompt: bool = False,
                    variables_json: str = "{}") -> str: ...

def encode_chat_prompt(tokenizer: Tokenizer, rendered: str) -> list[int]: ...

class NextOptions:
    top_k: int
    position: int
    all_positions: bool
    targets: list[str]
    add_special_tokens: bool

class ScoreOptions:
    window: int
    stride: int
    top_k: int
    score_first_token: bool
    token_stats: bool
    words: bool
    word_split: str
    word_spans: list[list[tuple[int, int]]]
    add_special_tokens: bool

class GenerateOptions:
    max_new_tokens: int
    do_sample: bool | None
    temperature: float
    top_k: int
    top_p: float
    min_p: float
    repetition_penalty: float
    seed: int | None
    num_beams: int
    num_return_sequences: int
    length_penalty: float
    early_stopping: str
    logprobs: int
    stop: list[str]
    eos_token_ids: list[int] | None
    add_special_tokens: bool

class FillMaskOptions:
    top_k: int
    targets: list[str]

class ClassifyOptions:
    function: str
    pair: str | None
    candidate_labels: list[str]
    hypothesis_template: str
    multi_label: bool

class Seq2SeqOptions:
    top_k: int
    max_new_tokens: int | None
    min_new_tokens: int | None
    num_beams: int | None
    no_repeat_ngram_size: int | None
    length_penalty: float | None
    repetition_penalty: float | None
    early_stopping: str | None
    target: str | None

class Model:
    @property
    def kind(self) -> str: ...
    @property
    def tasks(self) -> list[str]: ...
    @property
    def folder(self) -> str: ...
    @property
    def model_type(self) -> str: ...
    @property
    def architecture(self) -> str: ...
    @property
    def vocab_size(self) -> int: ...
    @property
    def max_positions(self) -> int: ...
    @property
    def dtype(self) -> str: ...
    @property
    def labels(self) -> list[str]: ...
    @property
    def eos_token_ids(self) -> list[int]: ...
    @property
    def tokenizer(self) -> Tokenizer: ...
    @property
    def has_tokenizer(self) -> bool: ...
    def next(self, texts: list[str], options: NextOptions) -> str: ...
    def score(self, texts: list[str], options: ScoreOptions) -> str: ...
    def compare(self, performer: Model, texts: list[str], score_first_token: bool) -> str: ...
    def score_reply(self, chat_template: ChatTemplate, messages_json: str, reply: str, options: ScoreOptions,
                    variables_json: str = "{}") -> str: ...
    def fill_mask(self, texts: list[str], options: FillMaskOptions) -> str: ...
    def classify(self, texts: list[str], options: ClassifyOptions) -> str: ...
    def seq2seq(self, texts: list[str], options: Seq2SeqOptions) -> str: ...
    def generate(self, text: str, options: GenerateOptions,
                 on_token: Callable[[int, str, str], None] | None = None) -> str: ...
    def logits(self, text: str, add_special_tokens: bool = True) -> tuple[list[int], npt.NDArray[np.float32]]: ...
    def logits_of_ids(self, ids: list[int],
                      decoder_ids: list[int] = ...) -> tuple[list[int], npt.NDArray[np.float32]]: ...

def load(name: str, dtype: str = "fp32", threads: int = 0, revision: str = "", kind: str | None = None,
         add_prefix_space: bool | None = None, add_special_tokens: bool = True) -> Model: ...
def version() -> str: ...
def parse_candidate_labels(comma_separated: str) -> list[str]: ...
