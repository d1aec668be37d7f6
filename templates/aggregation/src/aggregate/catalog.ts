import {
  SdkError,
  SdkErrorCode,
  UriTemplate,
  type Client,
  type Prompt,
  type Resource,
  type ResourceTemplateType as ResourceTemplate,
  type Tool,
} from '@modelcontextprotocol/client';
import type { Backend } from './backend.js';
import type { AggregateLogger } from './connection.js';
import { mergeNamespaced, namespaced, type Collision } from './namespace.js';
import { cappedBackoff, withRetry } from './retry.js';

export type ListKind = 'tools' | 'resources' | 'resourceTemplates' | 'prompts';
export type ChangedKind = 'tools' | 'resources' | 'prompts';

interface Item {
  tools: Tool;
  resources: Resource;
  resourceTemplates: ResourceTemplate;
  prompts: Prompt;
}

const CAPABILITY: Record<ListKind, 'tools' | 'resources' | 'prompts'> = {
  tools: 'tools',
  resources: 'resources',
  resourceTemplates: 'resources',
  prompts: 'prompts',
};
/** How long a list may be reused and by whom, as the backend said (2026-07-28 `ttlMs`, `cacheScope`). */
export interface CacheHint {
  ttlMs?: number;
  cacheScope?: 'public' | 'private';
}

export interface Listing<K extends ListKind> extends CacheHint {
  items: Item[K][];
}

/**
 * Every page of one list: the SDK walks `nextCursor` (up to its page cap, against a backend that
 * hands out cursors forever) and keeps the first page's cache hints.
 */
export async function listAll<K extends ListKind>(client: Client, kind: K, timeoutMs: number): Promise<Listing<K>> {
  // 'bypass': the catalog caches (until list_changed); the SDK's own cache would only hide a change.
  const options = { timeout: timeoutMs, cacheMode: 'bypass' as const };
  const result =
    kind === 'tools'
      ? await client.listTools(undefined, options)
      : kind === 'resources'
        ? await client.listResources(undefined, options)
        : kind === 'resourceTemplates'
          ? await client.listResourceTemplates(undefined, options)
          : await client.listPrompts(undefined, options);
  const { ttlMs, cacheScope } = result as CacheHint;
  const items = (result as unknown as Record<string, Item[K][]>)[kind] ?? [];
  return {
    items: kind === 'tools' ? (plainCalls(items as Tool[]) as Item[K][]) : items,
    ...(typeof ttlMs === 'number' ? { ttlMs } : {}),
    ...(cacheScope === 'public' || cacheScope === 'private' ? { cacheScope } : {}),
  };
}

/**
 * Tasks (2025-11-25 `execution.taskSupport`; an extension in 2026-07-28) are not forwarded, so no
 * tool is offered as one: a tool that runs only as a task is left out, and one that may run as a
 * task is listed as a plain call. A client then never sends a task-augmented call that would be
 * dropped on the way.
 */
export function plainCalls(tools: Tool[]): Tool[] {
  return tools.flatMap((tool) => {
    const support = tool.execution?.taskSupport;
    if (support === 'required') return [];
    if (support === undefined) return [tool];
    const { execution, ...rest } = tool;
    const { taskSupport: _taskSupport, ...kept } = execution ?? {};
    return [Object.keys(kept).length > 0 ? { ...rest, execution: kept } : rest];
  });
}

/** A list that could not be fetched: how many times in a row, when it may be asked for again, the timer that will. */
interface Failure {
  count: number;
  retryAt: number;
  timer: NodeJS.Timeout | undefined;
}

export interface CatalogOptions {
  /** Injected in tests. */
  now?: () => number;
  /** A failed list's wait is over: listing it now asks the backend again. */
  retryDue?: (kind: ListKind) => void;
}
type Cache = { [K in ListKind]?: Listing<K> & { stale: boolean } } & { failed?: Partial<Record<ListKind, Failure>> };

/**
 * After a listing fails (its retries spent), the backend is left out of that list for a while
 * instead of being asked again on every client's listing: 1 s, doubling with each failure in a
 * row, at most 30 s; a change the backend announces or a reconnect asks again at once. When the
 * wait is over, `retryDue` lets the owner list again, so that clients learn of the list once it loads.
 */
export const LIST_FAILURE_BACKOFF = { baseDelayMs: 1000, maxDelayMs: 30_000 };

/** Where a namespaced tool or prompt lives and its name there. */
export interface Route {
  backend: Backend;
  name: string;
  /** The tool or prompt as the backend listed it; none for a name passed on unlisted (a transparent gateway). */
  listed?: Tool | Prompt;
}

/** What `Catalog.known` says of a backend whose list must be fetched. */
const FETCH = Symbol('fetch');

/** A backend's listed tools or prompts by the names clients see, worked out once per listing (a new listing is a new array). */
const exposedNames = new WeakMap<(Tool | Prompt)[], Map<string, Tool | Prompt>>();
function byExposedName(items: (Tool | Prompt)[], prefix: string): Map<string, Tool | Prompt> {
  let names = exposedNames.get(items);
  if (!names) {
    names = new Map();
    // The first of two items of the same name wins, as a search through the list would find it.
    for (const item of items) {
      const name = namespaced(prefix, item.name);
      if (!names.has(name)) names.set(name, item);
    }
    exposedNames.set(items, names);
  }
  return names;
}

/**
 * Lists of every backend, cached until the backend says they changed (list_changed) or its
 * connection is re-established. Listing shows backends that are up; routing also remembers the
 * last lists of a backend that is down, so a call to it fails with "unavailable", not "unknown".
 */
export class Catalog {
  private readonly caches = new Map<string, Cache>();
  private readonly pending = new Map<string, Promise<unknown>>();
  private collisionsByKind: Partial<Record<ListKind, Collision[]>> = {};
  /** The merged list of each kind and the backend lists it was merged from (shared with callers: never changed in place). */
  private readonly mergedByKind: Partial<Record<ListKind, { sources: unknown[]; items: unknown[] }>> = {};

  constructor(
    private readonly backends: Backend[],
    private readonly logger: AggregateLogger,
    private readonly options: CatalogOptions = {},
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  get collisions(): Collision[] {
    return Object.values(this.collisionsByKind).flat();
  }

  invalidate(backend: Backend, kinds: ListKind[] = ['tools', 'resources', 'resourceTemplates', 'prompts']): void {
    const cache = this.caches.get(backend.name);
    if (!cache) return;
    for (const kind of kinds) {
      if (cache[kind]) cache[kind].stale = true;
      this.forgetFailure(cache, kind);
    }
  }

  private forgetFailure(cache: Cache, kind: ListKind): void {
    clearTimeout(cache.failed?.[kind]?.timer);
    delete cache.failed?.[kind];
  }

  /**
   * One backend's list as far as it is known without asking the backend: its fresh cache; none for
   * a backend that is down, does not list this kind or failed to list it a moment ago; `FETCH` when
   * the backend must be asked.
   */
  private known<K extends ListKind>(backend: Backend, kind: K): Item[K][] | undefined | typeof FETCH {
    if (!backend.ready) return undefined;
    const cache = this.caches.get(backend.name);
    const cached = cache?.[kind] as (Listing<K> & { stale: boolean }) | undefined;
    if (cached && !cached.stale) return cached.items;
    if (!backend.capabilities?.[CAPABILITY[kind]]) return undefined;
    const failed = cache?.failed?.[kind];
    return failed && this.now() < failed.retryAt ? undefined : FETCH;
  }

  /**
   * Fetches (or reuses) one backend's list; a failure leaves the backend out of this listing and of
   * those in the next `LIST_FAILURE_BACKOFF`, a list past the backend's `maxListPages` until it changes.
   */
  private async listOf<K extends ListKind>(backend: Backend, kind: K): Promise<Item[K][] | undefined> {
    const known = this.known(backend, kind);
    if (known !== FETCH) return known;
    const cache = this.caches.get(backend.name) ?? {};
    this.caches.set(backend.name, cache);
    const key = `${backend.name}\0${kind}`;
    let fetching = this.pending.get(key) as Promise<Listing<K>> | undefined;
    if (!fetching) {
      // Listing is safe to repeat: retry transient failures with capped, jittered backoff.
      fetching = withRetry(
        () => backend.run(`${kind}/list`, (client) => listAll(client, kind, backend.config.timeoutMs)),
        {
          maxAttempts: 3,
          baseDelayMs: 100,
          maxDelayMs: 1000,
        },
      ).finally(() => this.pending.delete(key));
      this.pending.set(key, fetching);
    }
    try {
      const listing = await fetching;
      (cache as Record<string, unknown>)[kind] = { ...listing, stale: false };
      this.forgetFailure(cache, kind);
      return listing.items;
    } catch (error) {
      if (error instanceof SdkError && error.code === SdkErrorCode.ListPaginationExceeded) {
        // Remembered as an empty list until the backend says its list changed or reconnects: asking
        // again on every client's listing would cost the backend all those pages each time, to the same end.
        (cache as Record<string, unknown>)[kind] = { items: [], stale: false };
        const pages = backend.config.maxListPages;
        this.logger.warn(
          { backend: backend.name, kind, maxListPages: pages },
          `listing backend "${backend.name}" gave up after ${pages} pages of ${kind}, leaving them out until it announces a change or reconnects: its pagination did not end; if its list is that long, raise "maxListPages" of "${backend.name}" in the servers file`,
        );
        return [];
      }
      const count = (cache.failed?.[kind]?.count ?? 0) + 1;
      const retryInMs = cappedBackoff(count - 1, LIST_FAILURE_BACKOFF);
      this.forgetFailure(cache, kind);
      const { retryDue } = this.options;
      // Unref'd: a wait that is not over never keeps the process alive.
      const timer = retryDue && setTimeout(() => retryDue(kind), retryInMs).unref();
      (cache.failed ??= {})[kind] = { count, retryAt: this.now() + retryInMs, timer };
      this.logger.warn(
        { backend: backend.name, kind, err: error, failures: count, retryInMs },
        `listing ${kind} of backend "${backend.name}" failed; leaving them out for ${retryInMs / 1000} s, or until it announces a change or reconnects`,
      );
      return undefined;
    }
  }

  private exposedKey(kind: ListKind, backend: Backend, item: Item[ListKind]): string {
    if (kind === 'tools' || kind === 'prompts') return namespaced(backend.config.prefix, (item as Tool | Prompt).name);
    if (kind === 'resources') return (item as Resource).uri;
    return (item as ResourceTemplate).uriTemplate;
  }

  private expose<K extends ListKind>(kind: K, backend: Backend, item: Item[K]): Item[K] {
    return kind === 'tools' || kind === 'prompts' ? { ...item, name: this.exposedKey(kind, backend, item) } : item;
  }

  /** The merged list as clients see it: namespaced, collisions resolved and recorded. */
  list<K extends ListKind>(kind: K): Promise<Item[K][]> {
    // Read on every tool call (the `Mcp-Param-*` check): nothing to fetch, nothing to merge, no promise per backend.
    const unchanged = this.unchanged(kind);
    return unchanged ? Promise.resolve(unchanged) : this.merge(kind);
  }

  /**
   * The last merged list when listing again would give it: each enabled backend's list is what the
   * last merge took (its fresh cache; none for a backend that is down or does not list this kind).
   * Undefined when a list must be fetched or merged anew.
   */
  private unchanged<K extends ListKind>(kind: K): Item[K][] | undefined {
    const last = this.mergedByKind[kind];
    if (!last) return undefined;
    let index = 0;
    for (const backend of this.backends) {
      if (!backend.config.enabled) continue;
      const items = this.known(backend, kind);
      if (items === FETCH || last.sources[index++] !== items) return undefined;
    }
    return index === last.sources.length ? (last.items as Item[K][]) : undefined;
  }

  private async merge<K extends ListKind>(kind: K): Promise<Item[K][]> {
    const perBackend = await Promise.all(
      this.backends
        .filter((backend) => backend.config.enabled)
        .map(async (backend) => ({ backend, items: await this.listOf(backend, kind) })),
    );
    // The same backend lists as last time (each backend's cached array) give the same merged list.
    const sources = perBackend.map(({ items }) => items);
    const last = this.mergedByKind[kind];
    if (
      last &&
      last.sources.length === sources.length &&
      last.sources.every((items, index) => items === sources[index])
    )
      return last.items as Item[K][];
    const merged = mergeNamespaced(
      kind === 'resourceTemplates' ? 'resourceTemplate' : (kind.slice(0, -1) as 'tool' | 'resource' | 'prompt'),
      perBackend.map(({ backend, items }) => ({
        backend: backend.name,
        entries: (items ?? []).map((item) => ({
          key: this.exposedKey(kind, backend, item),
          value: this.expose(kind, backend, item),
        })),
      })),
    );
    // Logged when they appear, not on every listing.
    const known = new Set((this.collisionsByKind[kind] ?? []).map((collision) => collision.message));
    for (const collision of merged.collisions)
      if (!known.has(collision.message)) this.logger.warn({ collision }, collision.message);
    this.collisionsByKind[kind] = merged.collisions;
    const items = [...merged.entries.values()].map((entry) => entry.value);
    this.mergedByKind[kind] = { sources, items };
    return items;
  }

  /**
   * What the merged list may promise about caching: the shortest `ttlMs` of the backends listed
   * (only when each gave one) and `private` when any backend said so.
   */
  hint(kind: ListKind): CacheHint {
    const listed = this.backends
      .filter((backend) => backend.ready && backend.capabilities?.[CAPABILITY[kind]])
      .map((backend) => this.caches.get(backend.name)?.[kind]);
    if (listed.length === 0 || listed.some((listing) => listing === undefined)) return {};
    const ttls = listed.map((listing) => listing!.ttlMs);
    const scopes = listed.map((listing) => listing!.cacheScope);
    return {
      ...(ttls.every((ttl) => ttl !== undefined) ? { ttlMs: Math.min(...(ttls as number[])) } : {}),
      ...(scopes.includes('private')
        ? { cacheScope: 'private' as const }
        : scopes.every((scope) => scope === 'public')
          ? { cacheScope: 'public' as const }
          : {}),
    };
  }

  /**
   * Finds the backend of a namespaced tool or prompt, refreshing the lists once if it is unknown. A
   * name the lists know is answered at once (not a promise): it is looked up on every call.
   */
  route(kind: 'tools' | 'prompts', exposed: string): Route | undefined | Promise<Route | undefined> {
    return this.lookup(kind, exposed) ?? this.routeAfterListing(kind, exposed);
  }

  private async routeAfterListing(kind: 'tools' | 'prompts', exposed: string): Promise<Route | undefined> {
    await this.list(kind);
    return this.lookup(kind, exposed) ?? this.transparent(exposed);
  }

  private lookup(kind: 'tools' | 'prompts', exposed: string): Route | undefined {
    for (const backend of this.backends) {
      if (!backend.config.enabled) continue;
      const items = this.caches.get(backend.name)?.[kind]?.items as (Tool | Prompt)[] | undefined;
      const item = items && byExposedName(items, backend.config.prefix).get(exposed);
      if (item) return { backend, name: item.name, listed: item };
    }
    return undefined;
  }

  /**
   * With one backend and no prefix the gateway is transparent: a name it does not know goes to the
   * backend as is, so the client gets the backend's own answer (error included).
   */
  private transparent(exposed: string): Route | undefined {
    const enabled = this.backends.filter((backend) => backend.config.enabled);
    const only = enabled.length === 1 ? enabled[0] : undefined;
    return only && only.config.prefix === '' ? { backend: only, name: exposed } : undefined;
  }

  /** The backend serving a resource URI: a listed resource, else the first matching template. */
  async routeResource(uri: string): Promise<Backend | undefined> {
    const find = () => {
      for (const backend of this.backends) {
        if (this.caches.get(backend.name)?.resources?.items.some((resource) => resource.uri === uri)) return backend;
      }
      for (const backend of this.backends) {
        const templates = this.caches.get(backend.name)?.resourceTemplates?.items ?? [];
        if (templates.some((template) => new UriTemplate(template.uriTemplate).match(uri) !== null)) return backend;
      }
      return undefined;
    };
    const found = find();
    if (found) return found;
    await Promise.all([this.list('resources'), this.list('resourceTemplates')]);
    return find() ?? this.transparent(uri)?.backend;
  }

  /** The backend owning a resource template (completion of its variables). */
  async routeTemplate(uriTemplate: string): Promise<Backend | undefined> {
    const find = () =>
      this.backends.find((backend) =>
        this.caches.get(backend.name)?.resourceTemplates?.items.some((t) => t.uriTemplate === uriTemplate),
      );
    return find() ?? (await this.list('resourceTemplates'), find() ?? this.transparent(uriTemplate)?.backend);
  }
}
