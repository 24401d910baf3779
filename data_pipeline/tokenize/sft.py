"""Supervised fine-tuning examples: records -> chat-formatted tokens with a response-only loss mask.

A record is either ``{"prompt": ..., "response": ...}`` (optional ``system``) or
``{"messages": [{"role": "system"|"user"|"assistant", "content": ...}, ...]}`` ending with an
assistant turn. ``chat`` format (the default) renders it with the tokenizer's chat template;
``plain`` format writes ``prompt + separator + response + EOS``.

The loss mask is 1 on the tokens of every assistant turn, from its first content token through
its end-of-turn marker (``<|im_end|>`` and the newline after it in ChatML), and 0 elsewhere
(system and user turns, role headers). It is computed from character spans: the template is
rendered for each conversation prefix and the assistant spans are where the renderings differ,
then each token is assigned by the offset of its first character. Templates whose renderings
are not prefixes of each other cannot be masked this way; such records are quarantined
(``template_not_incremental``) rather than guessed.

Errors are ``SftError`` with a stable ``reason``: ``bad_json``, ``missing_fields``,
``bad_role``, ``empty_turn``, ``no_assistant_turn``, ``template_not_incremental``, ``too_long``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

ROLES = ("system", "user", "assistant")


class SftError(ValueError):
    """A record that cannot become a training example; ``reason`` names why."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class SftSpec:
    """Rendering settings and the tokenizer as text (it travels to Spark workers)."""

    tokenizer_json: str
    chat_template: str | None
    eos_token: str
    format: str = "chat"
    system_prompt: str | None = None
    separator: str = "\n\n"
    max_tokens: int = 2048


def parse_record(raw: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as err:
        raise SftError("bad_json", f"not JSON: {err}") from None
    if not isinstance(value, dict):
        raise SftError("bad_json", f"expected a JSON object, got {type(value).__name__}")
    return value


def to_messages(record: dict[str, Any], system_prompt: str | None = None) -> list[dict]:
    """The record as chat messages; raises SftError when it is malformed."""
    if record.get("messages") is not None:
        messages = record["messages"]
        if not isinstance(messages, list) or not messages:
            raise SftError("missing_fields", "messages must be a non-empty list")
    elif record.get("prompt") is not None or record.get("response") is not None:
        if not isinstance(record.get("prompt"), str) or not isinstance(record.get("response"), str):
            raise SftError("missing_fields", "prompt and response must both be strings")
        messages = [
            {"role": "user", "content": record["prompt"]},
            {"role": "assistant", "content": record["response"]},
        ]
        if record.get("system"):
            messages.insert(0, {"role": "system", "content": record["system"]})
    else:
        raise SftError("missing_fields", "a record needs messages, or prompt and response")
    out = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            raise SftError("bad_role", f"message {i}: role must be one of {ROLES}")
        content = m.get("content")
        if not isinstance(content, str) or not content.strip():
            raise SftError("empty_turn", f"message {i} ({m.get('role')}) has no content")
        out.append({"role": m["role"], "content": content})
    if out[-1]["role"] != "assistant":
        raise SftError("no_assistant_turn", "the last message must be the assistant's")
    if system_prompt and out[0]["role"] != "system":
        out.insert(0, {"role": "system", "content": system_prompt})
    return out


def render(messages: list[dict], spec: SftSpec, hf_tok) -> tuple[str, list[tuple[int, int]]]:
    """The text of a conversation and the character spans of its assistant turns."""
    if spec.format == "plain":
        prompt = "\n".join(m["content"] for m in messages[:-1])
        head = prompt + spec.separator
        text = head + messages[-1]["content"] + spec.eos_token
        return text, [(len(head), len(text))]
    text = hf_tok.apply_chat_template(messages, tokenize=False)
    spans = []
    for i, m in enumerate(messages):
        if m["role"] != "assistant":
            continue
        before = hf_tok.apply_chat_template(
            messages[:i], tokenize=False, add_generation_prompt=True
        )
        through = hf_tok.apply_chat_template(messages[: i + 1], tokenize=False)
        if not (text.startswith(through) and through.startswith(before)):
            raise SftError(
                "template_not_incremental",
                "the chat template does not render conversations as prefixes of each other",
            )
        spans.append((len(before), len(through)))
    return text, spans


def encode(text: str, spans: list[tuple[int, int]], tokenizer, spec: SftSpec):
    """Token ids and the 0/1 loss mask (1 where a token starts inside an assistant span)."""
    enc = tokenizer.encode(text, add_special_tokens=False)
    ids = np.asarray(enc.ids, np.int64)
    if len(ids) > spec.max_tokens:
        raise SftError("too_long", f"{len(ids)} tokens > max_tokens {spec.max_tokens}")
    starts = np.asarray([o[0] for o in enc.offsets], np.int64)
    mask = np.zeros(len(ids), np.uint8)
    for start, end in spans:
        mask[(starts >= start) & (starts < end)] = 1
    if not mask.any():
        raise SftError("empty_turn", "no response token survived tokenisation")
    return ids, mask


class Renderer:
    """Built once per Spark partition: the fast tokenizer and the chat-template tokenizer."""

    def __init__(self, spec: SftSpec):
        from tokenizers import Tokenizer

        self.spec = spec
        self.tokenizer = Tokenizer.from_str(spec.tokenizer_json)
        self.hf = None
        if spec.format == "chat":
            from transformers import PreTrainedTokenizerFast

            if not spec.chat_template:
                raise SftError("template_not_incremental", "the tokenizer has no chat template")
            self.hf = PreTrainedTokenizerFast(
                tokenizer_object=self.tokenizer, chat_template=spec.chat_template
            )

    def example(self, raw: str | dict) -> tuple[np.ndarray, np.ndarray]:
        messages = to_messages(parse_record(raw), self.spec.system_prompt)
        text, spans = render(messages, self.spec, self.hf)
        return encode(text, spans, self.tokenizer, self.spec)
