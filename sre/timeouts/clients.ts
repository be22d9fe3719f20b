/**
 * Defaults of the clients Puerta's users point at it, each with where it is documented. A client
 * with no timeout at all (curl, a browser EventSource) has nothing to check and is not listed.
 */
import type { ClientTimeout } from './layout.ts';

export const commonClients: readonly ClientTimeout[] = [
  {
    name: 'openai SDK (Node)',
    // openai-node fetchWithTimeout(): the timer is cleared when the response headers arrive, so
    // for a non-streaming request it covers the whole generation; streams are not timed after that.
    kinds: ['first-byte'],
    timeoutMs: 600_000,
    setting: 'new OpenAI({ timeout })',
    source: 'openai-node OpenAI.DEFAULT_TIMEOUT = 600000 (10 min)',
  },
  {
    name: 'openai SDK (Python)',
    // httpx.Timeout(600, connect=5): the read timeout applies between socket reads, so it is an idle
    // timer on streams and the whole wait for a non-streaming answer.
    kinds: ['idle', 'first-byte'],
    timeoutMs: 600_000,
    setting: 'OpenAI(timeout=...)',
    source: 'openai-python DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)',
  },
  {
    name: 'anthropic SDK (Node)',
    // The same generated client as openai-node: the timer runs until the response headers.
    kinds: ['first-byte'],
    timeoutMs: 600_000,
    setting: 'new Anthropic({ timeout })',
    source: 'anthropic-sdk-typescript DEFAULT_TIMEOUT = 600000 (10 min)',
  },
  {
    name: 'anthropic SDK (Python)',
    kinds: ['idle', 'first-byte'],
    timeoutMs: 600_000,
    setting: 'Anthropic(timeout=...)',
    source: 'anthropic-sdk-python DEFAULT_TIMEOUT = httpx.Timeout(timeout=600, connect=5.0)',
  },
  {
    name: 'Claude Code',
    // Passed to the anthropic Node SDK as its timeout, so it behaves as that client's does.
    kinds: ['first-byte'],
    timeoutMs: 600_000,
    setting: 'API_TIMEOUT_MS (env or settings.json env)',
    source: 'code.claude.com/docs/en/env-vars: API_TIMEOUT_MS default 600000',
  },
  {
    name: 'Codex CLI',
    // Its own watchdog on a streamed response: no event for this long and the stream is dropped (then retried).
    kinds: ['idle'],
    timeoutMs: 300_000,
    setting: 'model_providers.<id>.stream_idle_timeout_ms (config.toml)',
    source: 'openai/codex codex-rs model_provider_info.rs DEFAULT_STREAM_IDLE_TIMEOUT_MS = 300000',
  },
  {
    name: 'Open WebUI',
    // aiohttp.ClientTimeout(total=AIOHTTP_CLIENT_TIMEOUT) around the whole upstream response.
    kinds: ['total'],
    timeoutMs: 300_000,
    setting: 'AIOHTTP_CLIENT_TIMEOUT (seconds; empty = no limit)',
    source: 'docs.openwebui.com/reference/env-configuration: AIOHTTP_CLIENT_TIMEOUT default 300',
  },
  {
    name: 'Node fetch / ollama-js',
    // The ollama npm client uses global fetch, i.e. undici's Agent defaults.
    kinds: ['idle', 'first-byte'],
    timeoutMs: 300_000,
    setting: 'undici Agent headersTimeout / bodyTimeout',
    source: 'undici defaults headersTimeout = bodyTimeout = 300000',
  },
];
