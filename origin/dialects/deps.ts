import type { ExchangeDeps } from '../pipeline/exchange.ts';
import type { ChatRetrievalDeps } from '../retrieval/chat-hook.ts';
import type { Router } from '../routing/router.ts';
import type { UpstreamRegistry } from '../upstream/registry.ts';

/**
 * What the client dialects' routes are given (origin/app.ts passes its own deps, which have all of
 * it): the exchange with an upstream, the upstreams and their models, aliases, retrieval for chat.
 */
export interface DialectDeps extends ExchangeDeps, ChatRetrievalDeps {
  registry: Pick<UpstreamRegistry, 'candidates' | 'candidatesNow' | 'allModels' | 'upstreams'>;
  router?: Pick<Router, 'candidates' | 'candidatesNow' | 'prepare' | 'succeeded' | 'failed' | 'aliasNames' | 'served'> | undefined;
}
