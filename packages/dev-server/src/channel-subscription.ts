// `subscribechannelmsg` on `/pubsub`, as v1.9.12 serves it (recorded:
// 12-channels.json): inside the socket's read loop. One frame with the
// entries already in the log from `afterseq` on (only when there are some),
// then one frame per live append (a one-element array), then `[]` when the
// timeout has passed (0: 30 s, negative: at once). The socket stays open; the
// frames that arrive meanwhile wait until the subscription has ended. When the
// process closes, the subscription ends without a frame.
import type { WebSocket } from 'ws';
import type { ChannelListener } from './channel-router';
import { channelEntryJson } from './handlers/channel-handlers';
import { goJson } from './go-json';

/** The server's default when a subscription asks for timeout 0. */
export const DEFAULT_CHANNEL_SUBSCRIPTION_SECONDS = 30;

export interface ChannelSubscriptionSource {
  existing: Record<string, unknown>[];
  listen: (listener: ChannelListener) => () => void;
}

function frame(entries: unknown[]): string {
  const json = entries.length === 0 ? '[]' : goJson(entries);
  return JSON.stringify({ payloadtype: 'subscribechannelmsg', payload: Buffer.from(json, 'utf8').toString('base64'), error: false });
}

/**
 * Serves one channel subscription; resolves when it has ended (timeout,
 * process closed, socket gone), after which the socket's queued frames run.
 */
export function serveChannelSubscription(ws: WebSocket, source: ChannelSubscriptionSource, timeoutSeconds: number): Promise<void> {
  const send = (text: string) => {
    if (ws.readyState === ws.OPEN) ws.send(text);
  };
  return new Promise((resolve) => {
    if (source.existing.length > 0) send(frame(source.existing));
    const seconds = timeoutSeconds === 0 ? DEFAULT_CHANNEL_SUBSCRIPTION_SECONDS : timeoutSeconds;
    if (seconds < 0) {
      send(frame([]));
      resolve();
      return;
    }
    let ended = false;
    const end = (last?: string) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      unlisten();
      ws.off('close', onClose);
      if (last !== undefined) send(last);
      resolve();
    };
    const onClose = () => end();
    const unlisten = source.listen({
      entry: (entry) => send(frame([channelEntryJson(entry)])),
      gone: () => end(),
    });
    const timer = setTimeout(() => end(frame([])), seconds * 1000);
    ws.on('close', onClose);
  });
}
