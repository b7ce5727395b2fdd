// The watch wire format: one JSON object per line, `{"type": …, "object": …}`. Decoding is kept
// apart from HTTP so it can be checked on exact byte sequences (objects split across chunks,
// multi-byte characters split across chunks, a final line without a newline).
import { apiErrorFrom } from './errors.js';
import type { KubeObject } from './object.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

/** The annotation a bookmark carries when a WatchList stream has sent every initial object. */
export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';

/**
 * Splits a byte stream into parsed JSON values, one per non-empty line. Only the newly arrived
 * chunk is searched for a newline; the partial line before it is kept as a list of pieces, so a
 * 1 MB object spread over many chunks costs linear, not quadratic, time.
 */
export async function* decodeJsonLines(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder('utf-8');
  let pending: string[] = [];
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', start)) >= 0) {
      pending.push(text.slice(start, nl));
      const line = (pending.length === 1 ? (pending[0] ?? '') : pending.join('')).trim();
      pending = [];
      start = nl + 1;
      if (line !== '') yield JSON.parse(line) as unknown;
    }
    if (start < text.length) pending.push(text.slice(start));
  }
  pending.push(decoder.decode());
  const rest = pending.join('').trim();
  if (rest !== '') yield JSON.parse(rest) as unknown;
}

const eventTypes = new Set<string>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);

/**
 * Turns one decoded line into a WatchEvent. An ERROR event becomes a thrown ApiError (410 Gone
 * when the resourceVersion was compacted away), so a `for await` over a watch ends in the
 * same typed error a failed request would give.
 */
export function toWatchEvent<T extends KubeObject>(raw: unknown): WatchEvent<T> {
  if (typeof raw !== 'object' || raw === null) throw new TypeError('watch: expected a JSON object per line');
  const { type, object } = raw as { type?: unknown; object?: unknown };
  if (type === 'ERROR') {
    const code = typeof object === 'object' && object !== null ? (object as { code?: unknown }).code : undefined;
    throw apiErrorFrom(typeof code === 'number' ? code : 500, object);
  }
  if (typeof type !== 'string' || !eventTypes.has(type) || typeof object !== 'object' || object === null) {
    throw new TypeError(`watch: unexpected event ${JSON.stringify(raw).slice(0, 200)}`);
  }
  return { type: type as WatchEventType, object: object as T };
}

/** Whether a BOOKMARK ends the initial events of a WatchList stream. */
export function isInitialEventsEnd(ev: WatchEvent): boolean {
  return ev.type === 'BOOKMARK' && ev.object.metadata.annotations?.[INITIAL_EVENTS_END_ANNOTATION] === 'true';
}
