"""Writes tokenizer_options_expected.json: the ids the reference gives for
AutoTokenizer.from_pretrained(folder, add_prefix_space=...) and tokenizer(text, add_special_tokens=...)
on the fixture tokenizers. The expected data of tokenizer_options_test.cpp was produced by this script
with the reference (transformers 5.x fast tokenizers); rerun it only to extend the cases:

    /work/venv/bin/python tests/tokenizer/make_tokenizer_options_expected.py ../shared/fixtures \
        > tests/tokenizer/tokenizer_options_expected.json
"""
import json
import sys
import warnings

import tokenizers
import transformers
from transformers import AutoTokenizer

warnings.filterwarnings("ignore")
transformers.utils.logging.set_verbosity_error()

FOLDERS = [
    "gpt2-tiny",  # GPT2Tokenizer: ByteLevel add_prefix_space
    "llama-tiny",  # LlamaTokenizer, legacy: Metaspace prepend_scheme always / never
    "tinystories-656k",  # LlamaTokenizer, not legacy: first / never
    "t5-tiny",  # T5Tokenizer: ignores it
    "bert-tiny-mlm",  # BertTokenizer: ignores it
    "modern-tokenizers/phi3",  # LlamaTokenizer, not legacy
    "modern-tokenizers/qwen3",  # Qwen2Tokenizer: ByteLevel inside a Sequence
    "modern-tokenizers/llama3",  # PreTrainedTokenizerFast: ignores it
]
TEXTS = ["This weekend I plan to", "Hello world", " leading space", "  two spaces", "New\nline here", "x"]


def main():
    root = sys.argv[1]
    cases = []
    for folder in FOLDERS:
        for aps in [None, True, False]:
            kwargs = {} if aps is None else {"add_prefix_space": aps}
            tok = AutoTokenizer.from_pretrained(f"{root}/{folder}", **kwargs)
            for special in [True, False]:
                for text in TEXTS:
                    ids = tok(text, add_special_tokens=special)["input_ids"]
                    cases.append({"folder": folder, "add_prefix_space": aps, "add_special_tokens": special,
                                  "text": text, "ids": ids})
    # One case a line, so that a change reads as a small diff.
    reference = f"transformers {transformers.__version__}, tokenizers {tokenizers.__version__}"
    sys.stdout.write('{"reference": ' + json.dumps(reference) + ',\n"cases": [\n')
    sys.stdout.write(",\n".join(json.dumps(c, ensure_ascii=False) for c in cases))
    sys.stdout.write("\n]}\n")


if __name__ == "__main__":
    main()
