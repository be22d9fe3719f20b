"""Writes the tiny GGUF models that stand in for real weights when tests run the real Ollama server.

    python make-tiny-models.py OUT_DIR

Deterministic (fixed numpy seed): the same bytes every run, so a cache keyed by this file's hash
stays valid. Written with the `gguf` package (PyPI), which Ollama's own converter also uses.

- tiny-chat.gguf    llama architecture, 2 layers, hidden size 64, about 450 SentencePiece tokens
                    with byte fallback. Random weights, shaped so the output is a random walk over
                    plain words that ends on the word `<|end_turn|>` after about 30 tokens (the
                    Modelfile makes that word a stop sequence, so turns end with done_reason
                    "stop"; a request that replaces `options.stop` gets a stream that runs until
                    `num_predict`). Byte, control and unknown tokens are never produced, so every
                    streamed piece is valid UTF-8.
- tiny-repeat.gguf  the same, except one word wins every step: Ollama's token-repeat guard aborts
                    the prediction after 30 repeats (the stream ends with no final object).
- tiny-embed.gguf   bert architecture (WordPiece), 2 layers, hidden size 64, mean pooling:
                    an embedding model with 64-dimensional vectors.

How the output is steered: every token embedding carries the same large component on dimension 0
and small noise elsewhere, and the attention and MLP weights are tiny (larger ones add the same
vector at every step, and one word then wins every time), so after the final RMSNorm the hidden
state is about 7.4 on dimension 0 plus the current token's own noise. Column 0 of the output
matrix is therefore each token's base logit; the other columns make the next word depend on the
current one. With Ollama's default sampling (temperature 0.8, top_k 40, top_p 0.9, repeat
penalty 1.1) a stop-word base of 0.2 gives answers of about 30 tokens on average (median 20).
"""

import sys
from pathlib import Path

import numpy as np
import gguf

HIDDEN = 64
HEADS = 4
FF = 128
LAYERS = 2
CONTEXT = 8192
STOP_WORD = "<|end_turn|>"
REPEAT_WORD = "\u2581la"

WORDS = """
the of and to in is that it for on with as was at by be this from or have an are not but all
were they we one you which their there been has more if will when would who so what up out can
about into them some could than other time these two may then first any like new only over also
after made did many before must through back years where much your way well down should because
each just those people how too little state good very make world still own see men work long get
here between both life being under never day same another know while last might us great old year
off come since against go came right used take three puerta edge origin stream token model slot
queue engine region tenant quota audit gateway request answer cache latency route prompt server
network window light river stone cloud north south east west green blue red silver quiet bright
open close early late small large warm cold fast slow high low near far deep wide young calm
el la los las de del en un una por para con que es como pero mas muy sol mar luz cielo tierra
agua fuego viento noche dia casa puerta camino tiempo mundo gente ciudad campo libro palabra
""".split()

TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_BYTE = 1, 2, 3, 6


def chat_vocab():
    """(tokens, scores, types, output_mask): SentencePiece pieces; mask marks the ones the model may emit."""
    tokens, scores, types, emit = [], [], [], []

    def add(text, score, kind, can_emit=False):
        tokens.append(text)
        scores.append(score)
        types.append(kind)
        emit.append(can_emit)

    add("<unk>", 0.0, TOKEN_UNKNOWN)
    add("<s>", 0.0, TOKEN_CONTROL)
    add("</s>", 0.0, TOKEN_CONTROL)
    add("<|im_start|>", 0.0, TOKEN_CONTROL)
    add("<|im_end|>", 0.0, TOKEN_CONTROL)
    for b in range(256):
        add(f"<0x{b:02X}>", 0.0, TOKEN_BYTE)
    score = -1.0
    for w in dict.fromkeys(WORDS):
        add("\u2581" + w, score, TOKEN_NORMAL, True)
        score -= 0.01
    for ch in "abcdefghijklmnopqrstuvwxyz0123456789.,:;!?'\"-()[]{}/":
        add(ch, score, TOKEN_NORMAL)
        score -= 0.01
    add("\u2581", score, TOKEN_NORMAL)
    add(STOP_WORD, score - 0.01, TOKEN_NORMAL, True)
    return tokens, scores, types, emit


def write_llama(path: Path, repeat: bool) -> None:
    rng = np.random.default_rng(20251125 + (1 if repeat else 0))
    tokens, scores, types, emit = chat_vocab()
    n_vocab = len(tokens)
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("puerta-tiny-repeat" if repeat else "puerta-tiny-chat")
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_context_length(CONTEXT)
    w.add_embedding_length(HIDDEN)
    w.add_feed_forward_length(FF)
    w.add_block_count(LAYERS)
    w.add_head_count(HEADS)
    w.add_head_count_kv(HEADS)
    w.add_rope_dimension_count(HIDDEN // HEADS)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)

    f32 = np.float32
    embd = rng.normal(0, 0.05, (n_vocab, HIDDEN)).astype(f32)
    embd[:, 0] = 1.0
    w.add_tensor("token_embd.weight", embd)
    for i in range(LAYERS):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", np.ones(HIDDEN, f32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            w.add_tensor(p + name + ".weight", rng.normal(0, 0.002, (HIDDEN, HIDDEN)).astype(f32))
        w.add_tensor(p + "ffn_norm.weight", np.ones(HIDDEN, f32))
        w.add_tensor(p + "ffn_gate.weight", rng.normal(0, 0.002, (FF, HIDDEN)).astype(f32))
        w.add_tensor(p + "ffn_up.weight", rng.normal(0, 0.002, (FF, HIDDEN)).astype(f32))
        w.add_tensor(p + "ffn_down.weight", rng.normal(0, 0.002, (HIDDEN, FF)).astype(f32))
    w.add_tensor("output_norm.weight", np.ones(HIDDEN, f32))

    out = rng.normal(0, 0.3, (n_vocab, HIDDEN)).astype(f32)
    emit_mask = np.array(emit)
    # Hidden state after the norm is about 8 on dimension 0, so logit = 8 x base.
    out[:, 0] = np.where(emit_mask, 0.0, -2.0)
    stop_id = tokens.index(STOP_WORD)
    if repeat:
        out[stop_id, 0] = -2.0
        out[tokens.index(REPEAT_WORD), 0] = 2.0
    else:
        out[stop_id, 0] = 0.2
        out[stop_id, 1:] = 0.0
    w.add_tensor("output.weight", out)
    finish(w)


def embed_vocab():
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    types = [TOKEN_CONTROL] * 5
    types[1] = TOKEN_UNKNOWN
    pieces = list("abcdefghijklmnopqrstuvwxyz0123456789.,:;!?'\"-()[]{}/")
    pieces += ["##" + c for c in "abcdefghijklmnopqrstuvwxyz0123456789"]
    pieces += list(dict.fromkeys(WORDS))
    for p in dict.fromkeys(pieces):
        tokens.append(p)
        types.append(TOKEN_NORMAL)
    return tokens, [0.0] * len(tokens), types


def write_bert(path: Path) -> None:
    rng = np.random.default_rng(20251126)
    tokens, scores, types = embed_vocab()
    n_vocab = len(tokens)
    w = gguf.GGUFWriter(str(path), "bert")
    w.add_name("puerta-tiny-embed")
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_context_length(512)
    w.add_embedding_length(HIDDEN)
    w.add_feed_forward_length(FF)
    w.add_block_count(LAYERS)
    w.add_head_count(HEADS)
    w.add_layer_norm_eps(1e-12)
    w.add_causal_attention(False)
    w.add_pooling_type(gguf.PoolingType.MEAN)
    w.add_token_type_count(2)
    w.add_tokenizer_model("bert")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_unk_token_id(1)
    w.add_bos_token_id(2)  # [CLS]: Ollama reads cls_token_id, then bos_token_id
    w.add_sep_token_id(3)
    w.add_pad_token_id(0)
    w.add_mask_token_id(4)

    f32 = np.float32
    w.add_tensor("token_embd.weight", rng.normal(0, 0.5, (n_vocab, HIDDEN)).astype(f32))
    w.add_tensor("token_types.weight", rng.normal(0, 0.02, (2, HIDDEN)).astype(f32))
    w.add_tensor("position_embd.weight", rng.normal(0, 0.02, (512, HIDDEN)).astype(f32))
    w.add_tensor("token_embd_norm.weight", np.ones(HIDDEN, f32))
    w.add_tensor("token_embd_norm.bias", np.zeros(HIDDEN, f32))
    for i in range(LAYERS):
        p = f"blk.{i}."
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            w.add_tensor(p + name + ".weight", rng.normal(0, 0.1, (HIDDEN, HIDDEN)).astype(f32))
            # Zero biases change nothing, but llama.cpp's bert loader requires them (Ollama's does not).
            w.add_tensor(p + name + ".bias", np.zeros(HIDDEN, f32))
        w.add_tensor(p + "attn_output_norm.weight", np.ones(HIDDEN, f32))
        w.add_tensor(p + "attn_output_norm.bias", np.zeros(HIDDEN, f32))
        w.add_tensor(p + "ffn_up.weight", rng.normal(0, 0.1, (FF, HIDDEN)).astype(f32))
        w.add_tensor(p + "ffn_up.bias", np.zeros(FF, f32))
        w.add_tensor(p + "ffn_down.weight", rng.normal(0, 0.1, (HIDDEN, FF)).astype(f32))
        w.add_tensor(p + "ffn_down.bias", np.zeros(HIDDEN, f32))
        w.add_tensor(p + "layer_output_norm.weight", np.ones(HIDDEN, f32))
        w.add_tensor(p + "layer_output_norm.bias", np.zeros(HIDDEN, f32))
    finish(w)


def finish(w: "gguf.GGUFWriter") -> None:
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: make-tiny-models.py OUT_DIR")
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    write_llama(out / "tiny-chat.gguf", repeat=False)
    write_llama(out / "tiny-repeat.gguf", repeat=True)
    write_bert(out / "tiny-embed.gguf")


if __name__ == "__main__":
    main()
