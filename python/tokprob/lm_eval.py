"""lm-evaluation-harness's model ``tokprob``: the harness's tasks on tokprob in-process, no HTTP::

    python -m tokprob.lm_eval --model tokprob --model_args pretrained=/models/gpt2 --tasks hellaswag

(``python -m tokprob.lm_eval`` is the harness's own command line with this model registered), or
from Python::

    import lm_eval, tokprob.lm_eval
    lm_eval.simple_evaluate(model="tokprob", model_args={"pretrained": "/models/gpt2"}, tasks=[...])

Requests are answered as the harness's ``hf`` model answers them: the same token ids (no BOS unless
``add_bos_token=True``), log-likelihoods from the model's log-softmax, ``is_greedy`` where every
continuation token is the most likely one, rolling windows of ``max_length`` tokens, and
generation cut at the stop strings and the EOS token. Requires ``pip install lm_eval``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from lm_eval import utils as lm_eval_utils  # type: ignore[import-untyped]
from lm_eval.api.model import TemplateLM  # type: ignore[import-untyped]
from lm_eval.api.registry import register_model  # type: ignore[import-untyped]
from lm_eval.models.utils import handle_stop_sequences, normalize_gen_kwargs  # type: ignore[import-untyped]

import tokprob

__all__ = ["TokprobLM"]


def _special_token(folder: Path, role: str) -> str | None:
    """The `role` token ("eos_token") as the folder's tokenizer files name it, if they do."""
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        try:
            config = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        value = config.get(role)
        if isinstance(value, dict):
            value = value.get("content")
        if isinstance(value, str):
            return value
    return None


@register_model("tokprob")
class TokprobLM(TemplateLM):  # type: ignore[misc]
    """A causal LM loaded by :func:`tokprob.load` as an lm-evaluation-harness model."""

    def __init__(self, pretrained: str, dtype: str = "fp32", threads: int = 0, max_length: int | None = None,
                 max_gen_toks: int = 256, add_bos_token: bool = False, batch_size: int | str = 1,
                 **kwargs: Any) -> None:
        super().__init__()
        self.model = tokprob.load(str(pretrained), dtype=dtype, threads=int(threads),
                                  add_special_tokens=bool(add_bos_token))
        if self.model.kind != "causal-lm":
            raise tokprob.Error(f"lm_eval's tokprob model needs a causal LM; {pretrained} is a {self.model.kind}")
        self.tokenizer = self.model.tokenizer
        self.add_bos_token = bool(add_bos_token)
        self._max_length = int(max_length) if max_length else (self.model.max_positions or 2048)
        self.max_gen_toks = int(max_gen_toks)
        folder = Path(self.model.folder)
        eos, bos = _special_token(folder, "eos_token"), _special_token(folder, "bos_token")
        eos_id = self.tokenizer.token_to_id(eos) if eos else None
        if eos_id is None and self.model._core.eos_token_ids:  # the generation config's
            eos_id = self.model._core.eos_token_ids[0]
        self._eot = eos_id
        bos_id = self.tokenizer.token_to_id(bos) if bos else None
        self._prefix = bos_id if bos_id is not None else eos_id

    @property
    def eot_token_id(self) -> int | None:
        return self._eot

    @property
    def prefix_token_id(self) -> int | None:
        return self._prefix

    @property
    def max_length(self) -> int:
        return self._max_length

    @property
    def tokenizer_name(self) -> str:
        return self.model.folder

    def tok_encode(self, string: str, add_special_tokens: bool | None = None, **kwargs: Any) -> list[int]:
        special = self.add_bos_token if add_special_tokens is None else add_special_tokens
        return self.tokenizer.encode(string, add_special_tokens=special)

    def tok_decode(self, tokens: Sequence[int], skip_special_tokens: bool = True) -> str:
        return self.tokenizer.decode(tokens, skip_special_tokens=skip_special_tokens)

    def _continuation(self, context: list[int], continuation: list[int]) -> tuple[float, bool]:
        """The summed log-probability of `continuation` after `context` and whether it is greedy."""
        inputs = (context + continuation)[-(self.max_length + 1):][:-1]
        logits = self.model.logits(inputs).astype(np.float64)
        rows = logits[len(inputs) - len(continuation):]
        rows = rows - rows.max(axis=1, keepdims=True)
        logprobs = rows - np.log(np.exp(rows).sum(axis=1, keepdims=True))
        picked = logprobs[np.arange(len(continuation)), continuation]
        greedy = bool(np.all(logprobs.argmax(axis=1) == np.asarray(continuation)))
        return float(picked.sum()), greedy

    def _loglikelihood_tokens(self, requests: list[Any], disable_tqdm: bool = False,
                              **kwargs: Any) -> list[tuple[float, bool]]:
        results = []
        for cache_key, context, continuation in requests:
            answer = self._continuation(list(context), list(continuation))
            if cache_key is not None:
                self.cache_hook.add_partial("loglikelihood", cache_key, answer)
            results.append(answer)
        return results

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
        results = []
        for request in requests:
            (text,) = request.args
            windows = map(lm_eval_utils.make_disjoint_window, lm_eval_utils.get_rolling_token_windows(
                token_list=self.tok_encode(text), prefix_token=self.prefix_token_id,
                max_seq_len=self.max_length, context_len=1))
            total = sum(self._continuation(list(context), list(continuation))[0] for context, continuation in windows)
            self.cache_hook.add_partial("loglikelihood_rolling", (text,), total)
            results.append(total)
        return results

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        eos = self.tok_decode([self._eot], skip_special_tokens=False) if self._eot is not None else None
        results = []
        for request in requests:
            context, gen_kwargs = request.args
            options = normalize_gen_kwargs(gen_kwargs, self.max_gen_toks)
            until = [s for s in handle_stop_sequences(options.pop("until", None), eos=eos) if s]
            max_new_tokens = int(options.pop("max_gen_toks"))
            sampling: dict[str, Any] = {}
            if options.get("do_sample"):
                sampling = {"do_sample": True, "temperature": float(options.get("temperature", 1.0)),
                            "top_p": float(options.get("top_p", 1.0)), "top_k": int(options.get("top_k") or 0)}
            # The prompt as the harness's hf model tokenizes it: tokprob.load(add_special_tokens=add_bos_token).
            result = self.model.generate(context, max_new_tokens=max_new_tokens, stop=until, **sampling)
            text: str = result.sequences[0].text
            for stop in until:
                text = text.split(stop)[0]
            self.cache_hook.add_partial("generate_until", (context, gen_kwargs), text)
            results.append(text)
        return results


if __name__ == "__main__":
    from lm_eval.__main__ import cli_evaluate  # type: ignore[import-untyped]

    cli_evaluate()
